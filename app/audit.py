"""The audit trail: the one writer of `audit_events`, its hash chain, and its reader.

Every row stores the hash of the row before it and the hash of that hash with its own
content, under the algorithm the row names (`hash_alg`, one of HASHES: SHA-256 until
JOINTOPS_AUDIT_HASH_ALGORITHM names another), so `jointops audit verify` finds a row
edited or deleted afterwards: an edited row no longer matches its own hash, and the row
after a deleted one names a hash that is not its predecessor's. (Someone who can rewrite
the whole table can also re-hash it; the chain makes quiet edits detectable, it does not
make the database tamper-proof.)

Rows are chained in id order, so writers take turns: SQLite's write lock does that (every
writer begins IMMEDIATE), on PostgreSQL an advisory lock per schema held to the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import Engine, func, insert, text
from sqlmodel import Session, col, select

from app.clock import utcnow
from app.models import AuditEvent, User

GENESIS = "0" * 64
LEGACY_HASH = "sha256"
# The audit chain's hash functions by the name a row records (ASVS 5.0 11.2.2): a new one
# is added here and chosen with JOINTOPS_AUDIT_HASH_ALGORITHM; rows keep the one they were
# written with, and `verify` hashes each row with its own. Hex digests of up to 256 bits
# fit the hash columns.
HASHES: dict[str, Callable[[bytes], str]] = {
    "sha256": lambda data: hashlib.sha256(data).hexdigest(),
    "sha3-256": lambda data: hashlib.sha3_256(data).hexdigest(),
}


def client_address(request: Request | None) -> str | None:
    """The caller's address as the server sees it (behind a proxy: set
    JOINTOPS_FORWARDED_ALLOW_IPS to it so this is the client, not the proxy)."""
    if request is None or request.client is None:
        return None
    return request.client.host[:64]


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    # What the JSON column gives back, so the hash of a row read back is the one written.
    plain: dict[str, Any] = json.loads(json.dumps(dict(details), default=str))
    return plain


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def current_hash_algorithm() -> str:
    """The algorithm new rows are chained with."""
    from app.config import get_settings

    return get_settings().audit_hash_algorithm


def row_hash(prev_hash: str, values: Mapping[str, Any], algorithm: str = LEGACY_HASH) -> str:
    """The hash, under `algorithm`, of the previous row's hash and this row's content in
    canonical JSON. Any algorithm but SHA-256 (the rows of before the choice) hashes its
    own name too, so a row's algorithm cannot be changed without breaking its hash."""
    content = [
        _instant(values["at"]),
        values.get("actor_id"),
        values["action"],
        values["object_type"],
        values["object_id"],
        values.get("address"),
        values.get("details") or {},
    ]
    text_ = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    named = "" if algorithm == LEGACY_HASH else f"{algorithm}\n"
    return HASHES[algorithm](f"{named}{prev_hash}\n{text_}".encode())


def _take_turn(session: Session) -> str:
    """Wait for the chain (PostgreSQL) and return the hash of its last row."""
    if session.get_bind().dialect.name == "postgresql":
        # Per schema: test runs in separate schemas of one database do not queue.
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('jointops.audit.' || current_schema()))")
        )
    last = session.exec(
        select(AuditEvent.row_hash).order_by(col(AuditEvent.id).desc()).limit(1)
    ).first()
    return last or GENESIS


def record_many(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Append rows (dicts of AuditEvent fields) in one INSERT, chained in order."""
    if not getattr(session, "_flushing", False):  # called from a before_flush hook
        session.flush()  # so rows of the session's pending changes are written first
    prev = _take_turn(session)
    algorithm = current_hash_algorithm()
    values: list[dict[str, Any]] = []
    for row in rows:
        item = {
            "at": row.get("at") or utcnow(),
            "actor_id": row.get("actor_id"),
            "action": row["action"][:64],
            "object_type": row["object_type"][:32],
            "object_id": str(row["object_id"])[:64],
            "address": row.get("address"),
            "details": _plain(row.get("details") or {}),
        }
        item["hash_alg"] = algorithm
        item["prev_hash"], item["row_hash"] = prev, row_hash(prev, item, algorithm)
        prev = item["row_hash"]
        values.append(item)
    if values:
        session.execute(insert(AuditEvent), values)
    return len(values)


def record(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id: object,
    actor: User | None = None,
    actor_id: int | None = None,
    address: str | None = None,
    at: datetime | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit row (never with a secret in it); the caller commits."""
    record_many(
        session,
        [
            {
                "at": at,
                "actor_id": actor.id if actor is not None else actor_id,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "address": address,
                "details": details or {},
            }
        ],
    )


# --- verification -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row_id: int
    message: str


def verify(session: Session, *, batch: int = 1000) -> tuple[int, list[Problem]]:
    """Walk the chain in id order: how many rows, and every row that breaks it."""
    problems: list[Problem] = []
    prev, prev_id, count = GENESIS, None, 0
    for row in _rows(session, batch):
        count += 1
        if row.prev_hash != prev:
            where = f"row {prev_id}" if prev_id is not None else "the start of the trail"
            problems.append(Problem(row.id or 0, f"row {row.id}: the row before it is not "
                                    f"{where} as written (deleted or edited rows in between)"))
        if row.hash_alg not in HASHES:
            problems.append(Problem(row.id or 0, f"row {row.id}: unknown hash algorithm "
                                    f"{row.hash_alg!r} (edited, or a newer board wrote it)"))
        elif row_hash(row.prev_hash, row.model_dump(), row.hash_alg) != row.row_hash:
            problems.append(Problem(row.id or 0, f"row {row.id}: its content does not match "
                                    "its hash (edited after it was written)"))
        prev, prev_id = row.row_hash, row.id
    return count, problems


def _rows(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(col(AuditEvent.id) > last)
            .order_by(col(AuditEvent.id)).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id or last
        session.expunge_all()


# --- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailFilter:
    username: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class TrailPage:
    rows: list[tuple[AuditEvent, str | None]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def read_trail(
    session: Session, *, where: TrailFilter, page: int = 1, per_page: int = 50
) -> TrailPage:
    """Audit rows newest first, with the actor's username, filtered and paginated."""
    query = select(AuditEvent, User.username).join(
        User, col(User.id) == col(AuditEvent.actor_id), isouter=True
    )
    if where.username:
        query = query.where(col(User.username) == where.username)
    if where.action:
        query = query.where(col(AuditEvent.action).startswith(where.action))
    if where.since is not None:
        query = query.where(col(AuditEvent.at) >= where.since)
    if where.until is not None:
        query = query.where(col(AuditEvent.at) < where.until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = max(1, page)
    rows = session.exec(
        query.order_by(col(AuditEvent.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return TrailPage([(event, name) for event, name in rows], int(total), page, per_page)


# --- refusals -----------------------------------------------------------------------


def record_refusal(request: Request, *, status: int, reason: str) -> None:
    """Record a refused request (403, 404 on an object) with its source address.

    Runs in the error handler, after the request's own transaction has ended, in a short
    transaction of its own (beside the test's, when the session is a test's connection).
    The path is the route's template, so a secret in the path (a feed token) stays out.
    """
    db: Session | None = getattr(request.state, "db", None)
    if db is None:
        return
    from app.db import READER_OPTION

    bind = db.get_bind()
    if isinstance(bind, Engine):
        bind = bind.execution_options(**{READER_OPTION: False})  # a writer's BEGIN
    user = getattr(request.state, "user", None)
    route = request.scope.get("route")
    path = getattr(route, "path", None) or "(no route)"
    with Session(bind=bind, join_transaction_mode="create_savepoint") as session:
        record(
            session,
            action=f"refused.{status}",
            object_type="request",
            object_id=path,
            actor_id=getattr(user, "id", None),
            address=client_address(request),
            details={"method": request.method, "status": status, "reason": reason[:200],
                     "params": {k: str(v)[:64] for k, v in request.path_params.items()
                                if "token" not in k}},
        )
        user_id = getattr(user, "id", None)
        if user_id is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            # The request's own transaction, with its count, was rolled back: a refused
            # write still spends the user's allowance (app/deps.py `limit_requests`).
            count_refused_write(session, user_id=user_id)
        session.commit()


def count_refused_write(session: Session, *, user_id: int) -> None:
    """Raise the user's write counter for a refused unsafe request."""
    from app.accounts import throttle
    from app.config import get_settings

    most = get_settings().writes_per_minute
    if most:
        throttle.hit(session, throttle.writes_key(user_id), most=most, now=utcnow(),
                     window=throttle.WRITE_WINDOW)
