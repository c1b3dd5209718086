"""Solver runs, plans, published taskings, the planning horizon and the audit trail."""

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import DDL, event
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, enum_type, utcnow


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    # Stop asked for: the worker stops the search and keeps the best plan found.
    cancelling = "cancelling"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class RunKind(StrEnum):
    """What a solver run solves: the raid plan, one holding country's hand-overs, or a
    capacity analysis."""

    raid = "raid"
    repatriation = "repatriation"
    # "What would help most" (app/campaigns/capacity.py): solves of hypotheses, ranked,
    # never a plan to review or publish.
    capacity = "capacity"


class TaskingKind(StrEnum):
    """What a tasking orders: a part in the raid at a site, or a cordon post at one side
    of a crossing the operation seals (docs/cordon-format.md)."""

    raid = "raid"
    cordon_post = "cordon_post"


class TaskingStatus(StrEnum):
    active = "active"
    cancelled = "cancelled"


class BoardConfig(SQLModel, table=True):
    """The planning period and slot grid of the board (one row, id 1)."""

    __tablename__ = "board_config"
    __table_args__ = (sa.CheckConstraint("slot_minutes > 0", name="slot_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="JointOps board", max_length=200)
    horizon_start: datetime = Field(sa_type=UTCDateTime)
    horizon_end: datetime = Field(sa_type=UTCDateTime)
    slot_minutes: int = Field(default=15)


class SolverRun(SQLModel, table=True):
    """One background solve: its parameters, progress, outcome and the worker running it."""

    __tablename__ = "solver_runs"
    id: int | None = Field(default=None, primary_key=True)
    status: RunStatus = Field(
        default=RunStatus.queued, sa_type=enum_type(RunStatus, "run_status"), index=True
    )
    params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # A raid run's time limit and seed, also in `params`, which the run lists show: read
    # out of `params`, the database decoded every pinned operation's assignments for two
    # numbers, and the planning page's 2-second poll did so for 20 runs.
    time_limit: float | None = None
    seed: int | None = None
    progress: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # The scenario snapshot the solver ran on, so a plan can be checked and published
    # against exactly what it solved.
    scenario: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    plan: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # What the worker's check of `plan` found that the run page needs (each operation's
    # part of the objective): app/planning/plan_checks.py.
    plan_checks: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pid: int | None = None
    error: str | None = None
    # The claim of the attempt now entitled to write this run (fencing): a worker that
    # lost it (paused past its lease, retried elsewhere) can no longer store anything.
    lease: str | None = Field(default=None, max_length=32)
    # Claims so far: a run whose worker died is queued again until MAX_ATTEMPTS.
    attempts: int = 0
    # The same queue, worker, lease and heartbeat serve both models (app/repatriation/jobs.py).
    kind: RunKind = Field(default=RunKind.raid, sa_type=enum_type(RunKind, "run_kind"),
                          sa_column_kwargs={"server_default": "raid"})


def _setting(params: dict[str, Any], key: str, kind: type[float] | type[int]) -> Any:
    value = params.get(key)
    try:
        return None if value is None else kind(value)
    except (TypeError, ValueError):
        return None  # not a number: the lists show nothing rather than failing


@event.listens_for(SolverRun, "before_insert")
def _settings_from_params(_mapper: Any, _connection: Any, run: SolverRun) -> None:
    """Copy the time limit and seed out of the parameters, whoever queued the run."""
    params = run.params or {}
    if run.time_limit is None:
        run.time_limit = _setting(params, "time_limit", float)
    if run.seed is None:
        run.seed = _setting(params, "seed", int)


class Plan(SQLModel, table=True):
    """A jointops-plan/1 document kept for review and, once published, for the record."""

    __tablename__ = "plans"
    # One published plan at a time, whatever a publisher does (two interleaved publishes
    # once left two).
    __table_args__ = (
        sa.Index("uq_plans_published", "is_published", unique=True,
                 sqlite_where=sa.text("is_published"), postgresql_where=sa.text("is_published")),
    )
    id: int | None = Field(default=None, primary_key=True)
    document: dict[str, Any] = Field(sa_type=sa.JSON)
    solver_run_id: int | None = Field(default=None, foreign_key="solver_runs.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    is_published: bool = False
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by_id: int | None = Field(default=None, foreign_key="users.id")


class Tasking(SQLModel, table=True):
    """The current published order of one unit in one operation.

    `uid` is the calendar UID and is never regenerated; `sequence` rises on every change
    of time, place or status.
    """

    __tablename__ = "taskings"
    __table_args__ = (
        sa.UniqueConstraint("operation_id", "unit_id"),
        sa.CheckConstraint('"end" > start', name="ordered"),
        sa.CheckConstraint("return_at >= depart", name="trip_ordered"),
        sa.CheckConstraint("sequence >= 0", name="sequence_nonnegative"),
        sa.CheckConstraint(
            "(kind = 'raid' AND site_id IS NOT NULL) OR (kind = 'cordon_post' AND site_id IS NULL"
            " AND crossing_id IS NOT NULL AND side IN ('a', 'b') AND post_region_id IS NOT NULL)",
            name="kind_place"),
    )
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=100, unique=True)
    operation_id: str = Field(foreign_key="operations.id", index=True, max_length=32)
    unit_id: str = Field(foreign_key="units.id", index=True, max_length=32)
    # The site of a raid order; None for a cordon post (its place is `side` of `crossing_id`).
    site_id: str | None = Field(default=None, foreign_key="sites.id", max_length=32)
    kind: TaskingKind = Field(default=TaskingKind.raid,
                              sa_type=enum_type(TaskingKind, "tasking_kind"),
                              sa_column_kwargs={"server_default": "raid"})
    # A cordon post: the side (`a` or `b`) of `crossing_id` it holds, and its region.
    side: str | None = Field(default=None, max_length=1)
    post_region_id: str | None = Field(default=None, foreign_key="regions.id", max_length=32)
    capability: str = Field(max_length=64)
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    depart: datetime = Field(sa_type=UTCDateTime)
    return_at: datetime = Field(sa_type=UTCDateTime)
    # A raid order: the crossing the unit passes; a cordon post: the crossing it seals.
    crossing_id: str | None = Field(default=None, foreign_key="crossings.id", max_length=32)
    cross_out: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cross_back: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: TaskingStatus = Field(
        default=TaskingStatus.active, sa_type=enum_type(TaskingStatus, "tasking_status")
    )
    sequence: int = 0
    plan_id: int | None = Field(default=None, foreign_key="plans.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The reversible uuid5 UID an order was issued with before issue 10 (finding 11), and
    # when migration retired_uids_0900 replaced it: feeds cancel the old UID once.
    retired_uid: str | None = Field(default=None, max_length=100)
    uid_retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# No unit in two active orders whose trips (depart to return, half-open) overlap. The
# schema enforces it, not only the solver's validator: an interleaved publish once left
# units double-booked. PostgreSQL: an exclusion constraint (btree_gist for the unit's
# equality in a GiST index); SQLite: triggers that refuse the row.
UNIT_BUSY = "ex_taskings_unit_busy"
UNIT_BUSY_MESSAGE = "a unit cannot be in two active orders that overlap in time"
POSTGRESQL_UNIT_BUSY = (
    "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public",
    f"ALTER TABLE taskings ADD CONSTRAINT {UNIT_BUSY} EXCLUDE USING gist "
    "(unit_id WITH =, tstzrange(depart, return_at, '[)') WITH &&) WHERE (status = 'active')",
)
_OVERLAP = (
    "NEW.status = 'active' AND EXISTS (SELECT 1 FROM taskings t WHERE t.unit_id = NEW.unit_id"
    " AND t.status = 'active' AND t.id IS NOT NEW.id AND t.depart < NEW.return_at"
    " AND NEW.depart < t.return_at)"
)
SQLITE_UNIT_BUSY = tuple(
    f"CREATE TRIGGER {UNIT_BUSY}_{when} BEFORE {what} ON taskings WHEN {_OVERLAP} "
    f"BEGIN SELECT RAISE(ABORT, '{UNIT_BUSY}: {UNIT_BUSY_MESSAGE}'); END"
    for when, what in (("insert", "INSERT"),
                       ("update", "UPDATE OF unit_id, depart, return_at, status"))
)
for _statement in POSTGRESQL_UNIT_BUSY:
    event.listen(Tasking.__table__, "after_create",  # type: ignore[attr-defined]
                 DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_UNIT_BUSY:
    event.listen(Tasking.__table__, "after_create",  # type: ignore[attr-defined]
                 DDL(_statement).execute_if(dialect="sqlite"))


class AuditEvent(SQLModel, table=True):
    """Who did what to which object, and when (append only)."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    action: str = Field(max_length=64)
    object_type: str = Field(max_length=32)
    object_id: str = Field(max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # Where the request came from (refusals, sign-ins), and the hash chain written by
    # app/audit.py: `row_hash` = the hash, under the algorithm `hash_alg` names (one of
    # app.audit.HASHES), of `prev_hash` and this row's content.
    address: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(default="", max_length=64)
    row_hash: str = Field(default="", max_length=64)
    hash_alg: str = Field(default="sha256", max_length=16,
                          sa_column_kwargs={"server_default": "sha256"})


# PostgreSQL dispatches solver runs through procrastinate's job queue (app/planning/
# queue.py). The migrations create its schema; a database built from the models (tests,
# tools) gets the same script with the solver_runs table, so it can queue runs too.
JOB_QUEUE_SCHEMA = (
    Path(__file__).resolve().parents[2] / "migrations" / "sql" / ("procrastinate-3.10.0.sql")
)


def _create_job_queue(target: sa.Table, connection: sa.Connection, **kw: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    if connection.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar():
        return
    # Passed to psycopg as it is, with a (empty) parameter list: a literal % is %%.
    connection.exec_driver_sql(JOB_QUEUE_SCHEMA.read_text(encoding="utf-8").replace("%", "%%"))


event.listen(SolverRun.__table__, "after_create", _create_job_queue)  # type: ignore[attr-defined]


# The board's revision (app/revision.py): on PostgreSQL a sequence every web process
# reads; SQLite ignores sequences (its revision lives in the process).
BOARD_REVISION = sa.Sequence("board_revision", metadata=SQLModel.metadata)
