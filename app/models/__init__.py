"""Every table of the board; importing this package registers them all on the metadata."""

from app.models.base import UTCDateTime, utcnow
from app.models.feeds import (  # noqa: F401  (feeds)
    FeedEventBlock,
    FeedKind,
    FeedPoll,
    FeedPollDay,
    FeedSubscription,
)
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
    RecoveryCode,
    Role,
    SignInCounter,
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
    "Decision", "FeedPoll", "FeedPollDay", "FeedToken", "IdempotentRequest", "Operation",
    "OperationCreate", "OperationPublic",
    "OperationState", "OperationUpdate", "Plan", "Region", "RegionCreate", "RegionPublic",
    "RecoveryCode", "RegionUpdate", "Requirement", "RequirementCreate", "Road", "Role",
    "RunStatus", "SignInCounter", "Site",
    "SiteCreate", "SitePublic", "SolverRun", "Tasking", "TaskingStatus", "UTCDateTime", "Unit",
    "UnitCreate", "UnitPublic", "UnitUpdate", "User", "UserCreate", "UserPublic",
    "UserSession", "UserUpdate", "utcnow",
]
