"""Every table of the board; importing this package registers them all on the metadata."""

from app.models.base import UTCDateTime, utcnow
from app.models.feeds import FeedEventBlock, FeedKind, FeedSubscription  # noqa: F401  (feeds)
from app.models.geography import (
    Agreement,
    Country,
    CountryCreate,
    CountryPublic,
    CountryUpdate,
    Crossing,
    CrossingCreate,
    CrossingPublic,
    CrossingUpdate,
    Region,
    RegionCreate,
    RegionPublic,
    RegionUpdate,
    Road,
)
from app.models.operations import (
    TLP,
    Approval,
    ApprovalKind,
    Decision,
    Operation,
    OperationCreate,
    OperationPublic,
    OperationState,
    OperationUpdate,
    Requirement,
    RequirementCreate,
    Site,
    SiteCreate,
    SitePublic,
)
from app.models.people import (
    Agency,
    AgencyCreate,
    AgencyPublic,
    AgencyUpdate,
    FeedToken,
    Role,
    Unit,
    UnitCreate,
    UnitPublic,
    UnitUpdate,
    User,
    UserCreate,
    UserPublic,
    UserSession,
    UserUpdate,
)
from app.models.planning import (
    AuditEvent,
    BoardConfig,
    Plan,
    RunStatus,
    SolverRun,
    Tasking,
    TaskingStatus,
)
from app.models.requests import IdempotentRequest

__all__ = [
    "TLP", "Agency", "AgencyCreate", "AgencyPublic", "AgencyUpdate", "Agreement", "Approval",
    "ApprovalKind", "AuditEvent", "BoardConfig", "Country", "CountryCreate", "CountryPublic",
    "CountryUpdate", "Crossing", "CrossingCreate", "CrossingPublic", "CrossingUpdate",
    "Decision", "FeedToken", "IdempotentRequest", "Operation", "OperationCreate", "OperationPublic",
    "OperationState", "OperationUpdate", "Plan", "Region", "RegionCreate", "RegionPublic",
    "RegionUpdate", "Requirement", "RequirementCreate", "Road", "Role", "RunStatus", "Site",
    "SiteCreate", "SitePublic", "SolverRun", "Tasking", "TaskingStatus", "UTCDateTime", "Unit",
    "UnitCreate", "UnitPublic", "UnitUpdate", "User", "UserCreate", "UserPublic",
    "UserSession", "UserUpdate", "utcnow",
]
