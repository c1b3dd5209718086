"""Fixtures shared by every test: databases on SQLite or PostgreSQL, sessions, clients.

JOINTOPS_TEST_DATABASE_URL selects the backend (default: a temporary SQLite file).
On PostgreSQL each test session works in a fresh schema that is dropped at the end.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from app import revision
from app.accounts import service as accounts_service
from app.accounts.service import hash_password, start_session
from app.clock import SettableClock, using_clock
from app.config import get_settings
from app.db import get_session, make_engine
from app.feeds import service as feed_service
from app.main import create_app
from app.models import (
    Agency,
    Agreement,
    Capability,
    Country,
    Crossing,
    Operation,
    OperationState,
    Region,
    Requirement,
    Road,
    Role,
    Site,
    Unit,
    User,
)


@pytest.fixture(autouse=True)
def _forget_rendered_feeds() -> Iterator[None]:
    """Rendered feeds and derived pages (app/revision.py) are kept in memory; each test's
    database is rolled back, and the next test's rows reuse its ids."""
    yield
    feed_service.clear_caches()
    revision.forget_derived()


@pytest.fixture
def set_clock() -> Iterator[Callable[[datetime], SettableClock]]:
    """`set_clock(instant)` stands the board's one clock still at `instant` for this test."""
    with contextlib.ExitStack() as stack:

        def install(instant: datetime) -> SettableClock:
            return stack.enter_context(using_clock(SettableClock(instant)))

        yield install


FAKETIME_MENDS = Path(__file__).parent / "faketime"


def _rerun_with_real_monotonic_time(config: pytest.Config) -> None:
    """Under Debian's faketime, run again with the monotonic clock left real.

    libfaketime 0.9.10 also fakes CLOCK_MONOTONIC by default, and then every timed wait of
    Python's locks and events waits until the faked date (a year): the suite hangs. The
    date is what the suite is checked against, so only the calendar clock is faked, and
    tests/faketime/sitecustomize.py mends time.sleep in this process and its children.
    """
    if "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return
    if os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
        return
    path = os.pathsep.join(filter(None, [str(FAKETIME_MENDS), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, FAKETIME_DONT_FAKE_MONOTONIC="1", PYTHONPATH=path)
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.stop_global_capturing()  # give the new process the real stdout and stderr
    os.execve(sys.executable, [sys.executable, *sys.argv], env)

DB_FIXTURES = {"engine", "session", "client", "migration_engine", "world"}


def pytest_configure(config: pytest.Config) -> None:
    _rerun_with_real_monotonic_time(config)
    config.addinivalue_line("markers", "db: uses a database (run again on PostgreSQL)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches a database, so `pytest -m db` reruns them on PostgreSQL."""
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def _test_url() -> str | None:
    return os.environ.get("JOINTOPS_TEST_DATABASE_URL") or None


def _scratch_engine(tmp_dir: Path, prefix: str) -> tuple[Engine, str | None]:
    """A new empty database: a SQLite file, or a fresh schema on the PostgreSQL test URL."""
    url = _test_url()
    if url is None or make_url(url).get_backend_name() == "sqlite":
        return make_engine(f"sqlite:///{tmp_dir / (prefix + '.db')}"), None
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"}), schema


def _drop_scratch(engine: Engine, schema: str | None) -> None:
    engine.dispose()
    url = _test_url()
    if schema is not None and url is not None:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The test database with every table created from the models (once per run)."""
    eng, schema = _scratch_engine(tmp_path_factory.mktemp("db"), "jt_test")
    SQLModel.metadata.create_all(eng)
    yield eng
    _drop_scratch(eng, schema)


@pytest.fixture
def migration_engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own, for migration tests."""
    eng, schema = _scratch_engine(tmp_path, "jt_mig")
    yield eng
    _drop_scratch(eng, schema)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside one outer transaction that is rolled back after the test.

    Commits made by the code under test only release a SAVEPOINT, so nothing leaks
    into the next test, on either backend.
    """
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


# --- web client and factories -------------------------------------------------------

TEST_PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2() -> Iterator[None]:
    """Still argon2id, with tiny cost parameters: the suite hashes many passwords."""
    original = accounts_service.password_hash
    accounts_service.password_hash = PasswordHash(
        (Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)
    )
    yield
    accounts_service.password_hash = original


@functools.cache
def _test_password_hash() -> str:
    # argon2id is deliberately slow: hash the shared test password once per run.
    return hash_password(TEST_PASSWORD)


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    """An anonymous TestClient whose app uses the test `session`."""
    application = create_app()
    application.dependency_overrides[get_session] = lambda: session
    with TestClient(application) as test_client:
        yield test_client


def _make_user(
    session: Session,
    role: Role | str = Role.planner,
    agency: Agency | str | None = None,
    unit: Unit | str | None = None,
    *,
    username: str | None = None,
    password: str | None = None,
    is_active: bool = True,
) -> User:
    """A committed-enough (flushed) user; password defaults to TEST_PASSWORD."""
    user = User(
        username=username or f"user-{uuid.uuid4().hex[:8]}",
        full_name="Test User",
        role=Role(role),
        agency_id=agency.id if isinstance(agency, Agency) else agency,
        unit_id=unit.id if isinstance(unit, Unit) else unit,
        is_active=is_active,
        password_hash=hash_password(password) if password else _test_password_hash(),
    )
    session.add(user)
    session.flush()
    return user


def _login(client: TestClient, user: User) -> TestClient:
    """A new client for `client`'s app, signed in as `user` (cookie + CSRF header set)."""
    session = client.app.dependency_overrides[get_session]()  # type: ignore[attr-defined]
    token, row = start_session(session, user=user)
    session.flush()
    signed_in = TestClient(client.app)
    signed_in.cookies.set(get_settings().session_cookie_name, token)
    signed_in.headers["X-CSRF-Token"] = row.csrf_token
    return signed_in


@pytest.fixture
def make_user() -> Callable[..., User]:
    """`make_user(session, role=..., agency=..., unit=..., username=..., password=...)`."""
    return _make_user


@pytest.fixture
def login() -> Callable[[TestClient, User], TestClient]:
    """`login(client, user)` -> a client signed in as `user`."""
    return _login


@dataclass
class World:
    """A small three-country world: Thailand, Laos, Myanmar (UTC+06:30)."""

    countries: dict[str, Country]
    regions: dict[str, Region]
    crossings: dict[str, Crossing]
    agencies: dict[str, Agency]
    units: dict[str, Unit]


def _build_world(session: Session) -> World:
    countries = {
        code: Country(code=code, name=name, timezone=tz)
        for code, name, tz in [
            ("TH", "Thailand", "Asia/Bangkok"),
            ("LA", "Laos", "Asia/Vientiane"),
            ("MM", "Myanmar", "Asia/Yangon"),
        ]
    }
    regions = {
        rid: Region(id=rid, name=name, country_code=rid[:2], lat=lat, lon=lon)
        for rid, name, lat, lon in [
            ("TH-CRI", "Chiang Rai", 19.91, 99.84),
            ("TH-MSI", "Mae Sai", 20.43, 99.88),
            ("TH-CKG", "Chiang Khong", 20.26, 100.40),
            ("LA-BOK", "Bokeo (Huay Xai)", 20.28, 100.41),
            ("MM-TAC", "Tachileik", 20.45, 99.88),
        ]
    }
    crossings = {
        "X-MSI-TAC": Crossing(id="X-MSI-TAC", name="Mae Sai - Tachileik", a_id="TH-MSI",
                              b_id="MM-TAC", transit_minutes=30, lanes=2,
                              timezone="Asia/Bangkok",
                              open_windows=[{"from": "06:30", "to": "21:00"}]),
        "X-CKG-HXY": Crossing(id="X-CKG-HXY", name="Chiang Khong - Huay Xai", a_id="TH-CKG",
                              b_id="LA-BOK", transit_minutes=20, lanes=1,
                              timezone="Asia/Bangkok", open_windows=None),
    }
    agencies = {
        aid: Agency(id=aid, name=name, country_code=aid[:2])
        for aid, name in [("TH-RTP", "Royal Thai Police"), ("LA-MPS", "Lao Ministry of Public "
                          "Security"), ("MM-MPF", "Myanmar Police Force")]
    }
    units = {
        uid: Unit(id=uid, agency_id=agency, callsign=callsign, capabilities=caps,
                  personnel=people, base_region_id=base)
        for uid, agency, callsign, caps, people, base in [
            ("U-TH-1", "TH-RTP", "RTP-1", ["tactical", "investigation"], 12, "TH-CRI"),
            ("U-TH-2", "TH-RTP", "RTP-2", ["border_patrol"], 8, "TH-MSI"),
            ("U-LA-1", "LA-MPS", "MPS-1", ["tactical"], 10, "LA-BOK"),
            ("U-MM-1", "MM-MPF", "MPF-1", ["tactical", "cyber"], 9, "MM-TAC"),
        ]
    }
    roads = [Road(a_id="TH-CRI", b_id="TH-MSI", minutes=60),
             Road(a_id="TH-CRI", b_id="TH-CKG", minutes=120)]
    agreements = [Agreement(from_country=a, to_country=b)
                  for a, b in [("TH", "MM"), ("TH", "LA"), ("LA", "TH"), ("MM", "TH")]]
    for group in (countries, regions, agencies):
        session.add_all(group.values())
        session.flush()
    session.add_all([*crossings.values(), *units.values(), *roads, *agreements])
    # The managed list the operation form checks: every capability of the world's units,
    # and k9, which is on the list though no unit of this world has it.
    session.add_all(Capability(name=name) for name in sorted(
        {"k9", *(c for unit in units.values() for c in unit.capabilities)}))
    session.flush()
    return World(countries, regions, crossings, agencies, units)


@pytest.fixture
def world(session: Session) -> World:
    """Countries TH/LA/MM, five regions, two crossings, three agencies, four units."""
    return _build_world(session)


def _make_operation(
    session: Session,
    lead_agency: Agency | str = "TH-RTP",
    sites: dict[str, dict[str, int]] | None = None,
    *,
    state: OperationState | str = OperationState.draft,
    op_id: str | None = None,
    code_name: str = "Mekong Dawn",
    start: datetime | None = None,
    duration_minutes: int = 240,
    **fields: Any,
) -> Operation:
    """An operation with sites `{region_id: {capability: count}}` (default one TH site)."""
    start = start or datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    op = Operation(
        id=op_id or f"OP-{uuid.uuid4().hex[:6].upper()}",
        code_name=code_name,
        lead_agency_id=lead_agency.id if isinstance(lead_agency, Agency) else lead_agency,
        priority=fields.pop("priority", 5),
        earliest_start=start,
        latest_end=fields.pop("latest_end", start + timedelta(days=2)),
        duration_minutes=duration_minutes,
        state=OperationState(state),
        **fields,
    )
    session.add(op)
    session.flush()
    for region, needs in (sites or {"TH-CRI": {"tactical": 1}}).items():
        site = Site(id=f"S-{uuid.uuid4().hex[:8].upper()}", operation_id=op.id, region_id=region)
        session.add(site)
        session.flush()
        session.add_all(
            Requirement(site_id=site.id, capability=cap, count=n) for cap, n in needs.items()
        )
    session.flush()
    session.refresh(op)
    return op


@pytest.fixture
def make_operation() -> Callable[..., Operation]:
    """`make_operation(session, lead_agency, {region: {capability: count}}, state=...)`."""
    return _make_operation


@pytest.fixture
def test_password() -> str:
    """The password of every user made by `make_user` without an explicit one."""
    return TEST_PASSWORD
