"""One role to migrate, another to run (ASVS 5.0 13.2.2), and TLS asked of libpq (12.3).

On PostgreSQL: the owner migrates a scratch schema, `grant_board_role` gives a new login
role row rights, and the board then signs a user in, works and signs out as that role,
which cannot create, alter, drop or truncate anything.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sample_data import TINY
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, select

from app.accounts.service import hash_password
from app.config import ROOT, get_settings
from app.db import get_session, make_engine
from app.db_roles import grant_board_role, grant_worker_role
from app.main import create_app
from app.models import (
    AuditEvent,
    Campaign,
    CapacityAnalysis,
    Country,
    FeedPoll,
    FeedToken,
    Plan,
    RepatriationPlan,
    Role,
    RunKind,
    RunStatus,
    SignInCounter,
    SolverRun,
    User,
    UserSession,
)
from app.planning.queue import QUEUE, defer_solve
from app.planning.service import start_run
from app.planning.worker import claim_run, run_job
from app.retention import apply_retention
from app.revision import BUMP_REVISION
from app.solver.repatriation.sample import generate
from app.transfer.service import import_scenario

pytestmark = pytest.mark.db


def _engine_as_role(migration_engine: Engine, prefix: str,
                    grant: Callable[..., list[str]]) -> Iterator[Engine]:
    """An engine connected as a new role that `grant` gave its rights, on a migrated
    schema; the role is dropped afterwards."""
    if migration_engine.dialect.name != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    config = Config(str(ROOT / "alembic.ini"))
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    role = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with migration_engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        grant(conn, role=role)
    url = migration_engine.url.set(username=role).render_as_string(hide_password=False)
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with migration_engine.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')


@pytest.fixture
def board_engine(migration_engine: Engine) -> Iterator[Engine]:
    """An engine connected as a role with row rights only, on a migrated schema."""
    yield from _engine_as_role(migration_engine, "jt_board", grant_board_role)


def test_the_board_works_as_a_role_with_row_rights_only(
    board_engine: Engine, test_password: str
) -> None:
    with Session(board_engine) as session:
        session.add(User(username="noy", full_name="Noy", role=Role.liaison,
                         password_hash=hash_password(test_password)))
        session.commit()
    app = create_app()

    def board_session() -> Iterator[Session]:
        with Session(board_engine) as session:
            yield session

    app.dependency_overrides[get_session] = board_session
    client = TestClient(app)
    client.get("/login")
    signed_in = client.post("/login", follow_redirects=False, data={
        "username": "noy", "password": test_password,
        "csrf_token": client.cookies.get("jointops_csrf")})
    assert signed_in.status_code == 303
    assert client.get("/account").status_code == 200
    csrf = client.get("/account").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    with Session(board_engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
        assert actions == ["auth.sign_in", "auth.sign_out"]
        assert session.exec(select(UserSession)).all() == []  # deleted at sign-out
        # The job queue too: a run is queued, and a worker registers and takes it.
        run = SolverRun(scenario={}, params={})
        session.add(run)
        session.flush()
        defer_solve(session, int(run.id or 0))
        session.commit()
        worker_id = session.execute(text("SELECT procrastinate_register_worker_v1()")).scalar()
        job = session.execute(text("SELECT args FROM procrastinate_fetch_job_v2("
                                   "ARRAY[:queue]::varchar[], :worker)"),
                              {"queue": QUEUE, "worker": worker_id}).one()
        assert job.args == {"run_id": run.id}
        session.commit()


SCHEMA_CHANGES = (
    "DROP TABLE audit_events",
    "ALTER TABLE users ADD COLUMN smuggled text",
    "CREATE TABLE smuggled (id int)",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
)


def test_the_board_role_cannot_change_the_schema(board_engine: Engine) -> None:
    for statement in SCHEMA_CHANGES:
        with board_engine.connect() as conn, pytest.raises(
            ProgrammingError, match="(?i)permission denied|must be owner"
        ):
            conn.exec_driver_sql(statement)


def test_sslmode_in_the_url_reaches_libpq(board_engine: Engine) -> None:
    """The server here has no TLS: a URL that requires it must not connect in clear."""
    with board_engine.connect() as conn:
        if conn.execute(text("SHOW ssl")).scalar_one() == "on":
            pytest.skip("this server speaks TLS")
    url = board_engine.url.update_query_dict({"sslmode": "require"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(OperationalError, match="(?i)ssl"), engine.connect():
            pass
    finally:
        engine.dispose()


@pytest.fixture
def worker_engine(migration_engine: Engine) -> Iterator[Engine]:
    """An engine connected as the solver workers' role (`grant_worker_role`)."""
    yield from _engine_as_role(migration_engine, "jt_worker", grant_worker_role)


# Writes a solver worker never makes (ASVS 5.0 13.2.1): its role is refused them.
NOT_THE_WORKERS = (
    "UPDATE users SET full_name = 'forged'",
    "INSERT INTO audit_events DEFAULT VALUES",
    "DELETE FROM operations",
    "UPDATE taskings SET cancelled_at = now()",
    "DELETE FROM plans",
    "INSERT INTO solver_runs DEFAULT VALUES",
)


# What a solver worker never reads (ASVS 5.0 13.2.2, 14.1.2): the secrets of sign-in,
# sessions and feeds, the audit trail, and the board's rows (a run carries its scenario).
NOT_THE_WORKERS_TO_READ = (
    "SELECT password_hash FROM users",
    "SELECT totp_secret FROM users",
    "SELECT id FROM users",
    "SELECT code_hash FROM recovery_codes",
    "SELECT id FROM user_sessions",
    "SELECT csrf_token FROM user_sessions",
    "SELECT key FROM sign_in_counters",
    "SELECT token_hash FROM feed_tokens",
    "SELECT * FROM audit_events",
    "SELECT * FROM operations",
    "SELECT * FROM taskings",
    "SELECT * FROM notices",
    "SELECT document FROM plans",
    "SELECT * FROM capacity_analyses",
)


def test_the_worker_role_solves_and_writes_nothing_else(
    migration_engine: Engine, worker_engine: Engine,
    set_clock: Callable[[datetime], object], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JOINTOPS_HEARTBEAT_SECONDS", "0.2")
    get_settings.cache_clear()
    data = TINY.read_bytes()
    set_clock(datetime.fromisoformat(json.loads(data)["horizon"]["start"]))
    # The board (here its owner) imports the scenario and queues a run ...
    with Session(migration_engine) as board:
        import_scenario(board, data=data)
        planner = User(username="lin", full_name="Lin", role=Role.coordinator,
                       password_hash="x")
        board.add(planner)
        board.flush()
        run = start_run(board, user=planner, time_limit=2, seed=1)
        board.commit()
        run_id = int(run.id or 0)
        planner_id = int(planner.id or 0)
    # ... and the worker's role claims it, solves it and stores the plan.
    with Session(worker_engine) as session:
        assert claim_run(session, run_id)
        assert run_job(run_id, session=session) == RunStatus.succeeded
    with Session(migration_engine) as board:
        assert board.exec(select(Plan).where(Plan.solver_run_id == run_id)).one()
        # A hand-over (repatriation) run: its plan goes to a table of its own.
        assert board.get(Country, "TH")  # imported with the scenario
        handover = SolverRun(kind=RunKind.repatriation, params={
            "country": "TH", "time_limit": 2, "workers": 1}, scenario=generate(
            persons=40, cohorts=2, nationalities=1, points=1, escorts=2, days=3, sites=1))
        board.add(handover)
        board.commit()
        handover_id = int(handover.id or 0)
    with Session(worker_engine) as session:
        assert claim_run(session, handover_id)
        assert run_job(handover_id, session=session) == RunStatus.succeeded
        # Its commits moved the board's revision (a failed bump is only logged).
        assert session.execute(BUMP_REVISION).scalar_one() > 1
    with Session(migration_engine) as board:
        assert board.exec(select(RepatriationPlan)
                          .where(RepatriationPlan.solver_run_id == handover_id)).one()
        # A capacity analysis: its ranking goes to the analysis row of its run.
        analysis_run = SolverRun(kind=RunKind.capacity, scenario=json.loads(data), params={
            "kind": "capacity", "offers": [], "time_limit": 1, "workers": 1, "seed": 1})
        campaign = Campaign(name="Lancang sweep")
        board.add_all([analysis_run, campaign])
        board.flush()
        board.add(CapacityAnalysis(campaign_id=int(campaign.id or 0),
                                   solver_run_id=int(analysis_run.id or 0)))
        board.commit()
        analysis_id = int(analysis_run.id or 0)
    with Session(worker_engine) as session:
        assert claim_run(session, analysis_id)
        assert run_job(analysis_id, session=session) == RunStatus.succeeded
    with Session(migration_engine) as board:
        assert board.exec(select(CapacityAnalysis.result)
                          .where(CapacityAnalysis.solver_run_id == analysis_id)).one()
    with Session(worker_engine) as session:
        # The job queue: it registers, takes the job start_run deferred, and finishes it.
        worker_id = session.execute(text("SELECT procrastinate_register_worker_v1()")).scalar()
        job = session.execute(text("SELECT id, args FROM procrastinate_fetch_job_v2("
                                   "ARRAY[:queue]::varchar[], :worker)"),
                              {"queue": QUEUE, "worker": worker_id}).one()
        assert job.args == {"run_id": run_id}
        session.execute(text("SELECT procrastinate_finish_job_v1(:id, 'succeeded', false)"),
                        {"id": job.id})
        session.commit()
    # Retention, which the worker applies hourly, runs too, and deletes what is due.
    now = datetime.fromisoformat(json.loads(data)["horizon"]["start"])
    with Session(migration_engine) as board:
        token = FeedToken(user_id=planner_id, label="phone", token_hash="h" * 64)
        board.add(token)
        board.flush()
        board.add(UserSession(id="s" * 64, user_id=planner_id, csrf_token="c",
                              created_at=now - timedelta(days=30),
                              expires_at=now - timedelta(days=29)))
        board.add(FeedPoll(token_id=int(token.id or 0), user_id=planner_id,
                           at=now - timedelta(days=400)))
        board.add(SignInCounter(key="addr:192.0.2.1", window_start=now - timedelta(days=1),
                                failures=3))
        board.commit()
    with Session(worker_engine) as session:
        report = apply_retention(session, now=now)
        session.commit()
    assert (report.sessions, report.sign_in_counters, report.feed_polls_summarised) == (
        1, 1, 1)
    for statement in NOT_THE_WORKERS:
        with worker_engine.connect() as conn, pytest.raises(
            ProgrammingError, match="(?i)permission denied"
        ):
            conn.exec_driver_sql(statement)
    for statement in NOT_THE_WORKERS_TO_READ:
        with worker_engine.connect() as conn, pytest.raises(
            ProgrammingError, match="(?i)permission denied"
        ):
            conn.exec_driver_sql(statement)
    get_settings.cache_clear()


def test_the_worker_grant_takes_back_what_an_earlier_grant_gave(
    migration_engine: Engine, worker_engine: Engine,
) -> None:
    """A role granted by an earlier version read every table, and every table created
    later: granted again, it keeps only WORKER_GRANTS."""
    role = worker_engine.url.username
    with migration_engine.begin() as conn:
        conn.exec_driver_sql(f'GRANT SELECT ON users, audit_events TO "{role}"')
        conn.exec_driver_sql(f'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO "{role}"')
    with worker_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(password_hash) FROM users").scalar() == 0
    with migration_engine.begin() as conn:
        grant_worker_role(conn, role=str(role))
        conn.exec_driver_sql("CREATE TABLE later_secrets (id int)")
    for statement in ("SELECT password_hash FROM users", "SELECT * FROM audit_events",
                      "SELECT * FROM later_secrets"):
        with worker_engine.connect() as conn, pytest.raises(
            ProgrammingError, match="(?i)permission denied"
        ):
            conn.exec_driver_sql(statement)


def test_the_worker_grant_names_the_tables_a_schema_lacks(migration_engine: Engine) -> None:
    if migration_engine.dialect.name != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    with migration_engine.begin() as conn, pytest.raises(
        ValueError, match="has no table capacity_analyses, .*: run `jointops migrate` first"
    ):
        grant_worker_role(conn, role="jointops_worker")
