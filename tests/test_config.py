"""Settings refuse a placeholder secret outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import PLACEHOLDER_SECRET, Settings


def test_placeholder_secret_is_refused_outside_dev() -> None:
    assert Settings(environment="dev", secret_key=PLACEHOLDER_SECRET).secret_key
    for environment in ("test", "production"):
        with pytest.raises(ValidationError, match="JOINTOPS_SECRET_KEY"):
            Settings(environment=environment, secret_key=PLACEHOLDER_SECRET)
    assert Settings(environment="production", secret_key="x" * 40).environment == "production"


def test_settings_come_from_jointops_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOINTOPS_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("JOINTOPS_SESSION_LIFETIME_MINUTES", "30")
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db"
    assert settings.session_lifetime_minutes == 30


def test_the_totp_algorithm_is_sha256_or_sha1_and_a_bad_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ASVS 5.0 11.4.1: SHA256 unless a fleet's authenticator app makes SHA-1 codes only.
    assert Settings().totp_algorithm == "SHA256"
    for value, expected in (("SHA1", "SHA1"), ("sha256", "SHA256"), ("SHA-1", "SHA1")):
        monkeypatch.setenv("JOINTOPS_TOTP_ALGORITHM", value)
        assert Settings().totp_algorithm == expected
    for value in ("MD5", "SHA512", ""):
        monkeypatch.setenv("JOINTOPS_TOTP_ALGORITHM", value)
        with pytest.raises(ValidationError,
                           match=rf"JOINTOPS_TOTP_ALGORITHM='{value}': choose SHA256 or SHA1"):
            Settings()
    from app.accounts import totp
    from app.config import TOTP_ALGORITHMS

    assert {name.lower() for name in TOTP_ALGORITHMS} == set(totp.ALGORITHMS)


PG = "postgresql+psycopg://board@db.example:5432/jointops"


def test_production_refuses_a_database_url_without_tls() -> None:
    secret = "x" * 40
    for url in (PG, PG + "?sslmode=prefer", PG + "?sslmode=disable"):
        with pytest.raises(ValidationError, match="JOINTOPS_DATABASE_URL: a PostgreSQL"
                                                  " connection without TLS"):
            Settings(environment="production", secret_key=secret, database_url=url)
    with pytest.raises(ValidationError, match="JOINTOPS_MIGRATION_DATABASE_URL"):
        Settings(environment="production", secret_key=secret,
                 database_url=PG + "?sslmode=verify-full",
                 migration_database_url=PG.replace("board@", "owner@"))
    url = f"{PG}?sslmode=verify-full&sslrootcert=/run/secrets/db_ca.crt"
    assert Settings(environment="production", secret_key=secret, database_url=url,
                    migration_database_url=url).database_url == url
    # Explicitly overridden (a private network), SQLite (no connection), or not production.
    assert Settings(environment="production", secret_key=secret, database_url=PG,
                    database_allow_plaintext=True).database_allow_plaintext
    assert Settings(environment="production", secret_key=secret,
                    database_url="sqlite:////var/lib/jointops/board.db")
    assert Settings(environment="test", secret_key=secret, database_url=PG)
    assert Settings(environment="dev", database_url=PG)


def test_production_refuses_tls_that_does_not_verify_the_server() -> None:
    # ASVS 5.0 12.3.2: require and verify-ca encrypt, but do not check that the server
    # is the one named in the URL; only verify-full does.
    secret = "x" * 40
    for mode in ("require", "verify-ca"):
        url = f"{PG}?sslmode={mode}&sslrootcert=/run/secrets/db_ca.crt"
        with pytest.raises(ValidationError, match=f"JOINTOPS_DATABASE_URL: sslmode={mode}"
                                                  " encrypts but does not verify"):
            Settings(environment="production", secret_key=secret, database_url=url)
        with pytest.raises(ValidationError, match="JOINTOPS_MIGRATION_DATABASE_URL"):
            Settings(environment="production", secret_key=secret,
                     database_url=PG + "?sslmode=verify-full", migration_database_url=url)
        # Explicitly overridden, and outside production.
        assert Settings(environment="production", secret_key=secret, database_url=url,
                        database_allow_unverified_tls=True).database_url == url
        assert Settings(environment="test", secret_key=secret, database_url=url)
    # The override accepts weaker TLS, never none.
    with pytest.raises(ValidationError, match="without TLS"):
        Settings(environment="production", secret_key=secret, database_url=PG,
                 database_allow_unverified_tls=True)


def test_the_ca_file_setting_reaches_both_urls_unless_they_name_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("JOINTOPS_DATABASE_SSLROOTCERT", "/run/secrets/db_ca.crt")
    settings = Settings(environment="production", secret_key="x" * 40,
                        database_url="postgresql+psycopg://board:p%40ss@db.example/jointops"
                                     "?sslmode=verify-full",
                        migration_database_url=PG + "?sslmode=verify-full"
                                               "&sslrootcert=/etc/owner_ca.crt")
    board = make_url(settings.database_url)
    assert board.query["sslrootcert"] == "/run/secrets/db_ca.crt"
    assert board.password == "p@ss"  # the password survives the rewrite
    assert settings.migration_database_url
    assert make_url(settings.migration_database_url).query["sslrootcert"] == "/etc/owner_ca.crt"
    # SQLite has no connection: its URL is left alone.
    assert Settings(database_url="sqlite:////tmp/b.db").database_url == "sqlite:////tmp/b.db"


def _production(**values: object) -> Settings:
    return Settings(environment="production", secret_key="x" * 40, **values)  # type: ignore[arg-type]


def test_production_refuses_clamd_over_tcp_to_another_host() -> None:
    # ASVS 5.0 12.3.1: clamd has no TLS; uploads may reach it over a unix socket or over
    # TCP on this host only (no network to read them from).
    for value in ("clamav:3310", "tcp://clamav:3310", "10.0.4.7:3310", "[2001:db8::7]:3310"):
        with pytest.raises(ValidationError, match=r"JOINTOPS_CLAMD=.*clamd has no TLS.*"
                                                  r"unix:///run/clamd/clamd.sock"):
            _production(clamd=value)
    for value in ("unix:///run/clamd/clamd.sock", "/run/clamd/clamd.sock", "127.0.0.1:3310",
                  "tcp://localhost:3310", "[::1]:3310"):
        assert _production(clamd=value).clamd == value
    # Development and tests stay permissive.
    assert Settings(environment="dev", clamd="clamav:3310").clamd == "clamav:3310"
    assert Settings(environment="test", secret_key="x" * 40, clamd="clamav:3310").clamd


def test_production_refuses_smtp_without_tls_to_another_host() -> None:
    with pytest.raises(ValidationError, match="JOINTOPS_SMTP_SECURITY=none would send"
                                              r".* to mail.example in plaintext.*starttls"):
        _production(smtp_host="mail.example", smtp_security="none")
    assert _production(smtp_host="mail.example", smtp_security="starttls").smtp_host
    assert _production(smtp_host="mail.example", smtp_security="tls").smtp_host
    # A relay on this host, or no mail at all, crosses no network.
    assert _production(smtp_host="127.0.0.1", smtp_security="none").smtp_host
    assert _production(smtp_host="localhost", smtp_security="none").smtp_host
    assert _production(smtp_security="none").smtp_host is None
    assert Settings(environment="dev", smtp_host="mail.example", smtp_security="none")


def test_production_refuses_plaintext_syslog_to_another_host() -> None:
    for value, protocol in (("logs.example:514", "UDP"), ("udp://logs.example:514", "UDP"),
                            ("tcp://logs.example:601", "TCP")):
        with pytest.raises(ValidationError, match=rf"JOINTOPS_LOG_SYSLOG=.* to logs.example"
                                                  rf" in plaintext \({protocol}\).*"
                                                  r"tls://logs.example:6514"):
            _production(log_syslog=value)
    assert _production(log_syslog="tls://logs.example:6514").log_syslog
    for value in ("127.0.0.1:514", "tcp://localhost:601", "udp://[::1]:514"):
        assert _production(log_syslog=value).log_syslog == value
    assert Settings(environment="dev", log_syslog="udp://logs.example:514").log_syslog


def test_clamd_addresses_are_parsed_and_a_bad_one_is_named() -> None:
    from app.config import clamd_target

    assert clamd_target("unix:///run/clamd/clamd.sock") == ("unix", "/run/clamd/clamd.sock", 0)
    assert clamd_target("/run/clamd/clamd.sock") == ("unix", "/run/clamd/clamd.sock", 0)
    assert clamd_target("clamav:3310") == ("tcp", "clamav", 3310)
    assert clamd_target("tcp://[::1]:3310") == ("tcp", "::1", 3310)
    for bad in ("unix://run/clamd.sock", "unix://", "tcp://clamav", "clamav:0", "a/b:3310"):
        with pytest.raises(ValueError, match="JOINTOPS_CLAMD"):
            clamd_target(bad)


def test_compose_migrates_as_the_owner_and_serves_as_a_row_rights_role() -> None:
    import yaml

    from app.config import ROOT

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    migrate = services["migrate"]
    role = migrate["command"][migrate["command"].index("--grant-to") + 1]
    assert migrate["environment"]["JOINTOPS_MIGRATION_DATABASE_URL_FILE"]
    # Each secret reaches only the services that use it (ASVS 5.0 13.3.2): the owner's
    # URL the migrate service alone, the database's passwords the database alone.
    holders = {secret: {name for name, service in services.items()
                        if secret in service.get("secrets", [])}
               for secret in compose["secrets"]}
    assert holders == {
        "migration_database_url": {"migrate"},
        "database_url": {"migrate", "web"},
        "worker_database_url": {"worker"},
        "secret_key": {"migrate", "web", "worker"},
        "db_password": {"db"},
        "db_app_password": {"db"},
        "db_worker_password": {"db"},
        # The HTTPS certificate's key only where TLS ends (deploy/nginx/jointops.conf) and
        # in the one-shot that checks it first (app/tls_check.py, no network).
        "tls_certificate": {"proxy", "tls-check"},
        "tls_key": {"proxy", "tls-check"},
    }
    # The solver workers connect as their own role (ASVS 5.0 13.2.1), granted by migrate.
    worker_role = migrate["command"][migrate["command"].index("--grant-worker-to") + 1]
    worker = services["worker"]["environment"]
    assert worker["JOINTOPS_DATABASE_URL_FILE"] == "/run/secrets/worker_database_url"
    init = "./deploy/postgres/board-role.sh:/docker-entrypoint-initdb.d/10-board-role.sh:ro"
    assert init in services["db"]["volumes"]
    script = (ROOT / "deploy" / "postgres" / "board-role.sh").read_text()
    assert f"CREATE ROLE {role} LOGIN PASSWORD :'password';" in script
    assert f"CREATE ROLE {worker_role} LOGIN PASSWORD :'worker_password';" in script
    assert "db_app_password" in services["db"]["secrets"]


def test_a_served_process_sets_its_switch_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short requests wait for the interpreter behind long renders at most about this
    long (bench/gil_switch.py): 1 ms unless JOINTOPS_GIL_SWITCH_INTERVAL_MS says."""
    import sys

    from app.config import get_settings
    from app.main import create_served_app

    assert Settings().gil_switch_interval_ms == 1.0
    with pytest.raises(ValidationError, match="gil_switch_interval_ms"):
        Settings(gil_switch_interval_ms=0)
    before = sys.getswitchinterval()
    monkeypatch.setenv("JOINTOPS_GIL_SWITCH_INTERVAL_MS", "2")
    get_settings.cache_clear()
    try:
        create_served_app()
        assert sys.getswitchinterval() == pytest.approx(0.002)
    finally:
        sys.setswitchinterval(before)
        get_settings.cache_clear()


def test_a_served_process_collects_garbage_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """Full collections walked the caches of parsed plans every few seconds under load
    (app.config `gc_young_threshold`): 50,000 new objects before the youngest generation
    is collected unless JOINTOPS_GC_YOUNG_THRESHOLD says, Python's ratios above it, and
    every collection timed for /metrics."""
    import gc

    from app.config import get_settings
    from app.main import create_served_app
    from app.observability import GARBAGE_COLLECTIONS

    assert Settings().gc_young_threshold == 50_000
    with pytest.raises(ValidationError, match="gc_young_threshold"):
        Settings(gc_young_threshold=0)
    before = gc.get_threshold()
    watched = GARBAGE_COLLECTIONS in gc.callbacks
    monkeypatch.setenv("JOINTOPS_GC_YOUNG_THRESHOLD", "20000")
    get_settings.cache_clear()
    try:
        create_served_app()
        assert gc.get_threshold() == (20_000, 10, 10)
        assert GARBAGE_COLLECTIONS in gc.callbacks
    finally:
        gc.set_threshold(*before)
        if not watched:
            gc.callbacks.remove(GARBAGE_COLLECTIONS)
        GARBAGE_COLLECTIONS.pending.clear()
        get_settings.cache_clear()


def test_postgresql_pools_keep_enough_connections_for_the_request_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLAlchemy's 5 kept connections made a busy web process open and close new ones
    all the time (bench/load.py): 8 kept and 12 more at busy moments, unless set."""
    from app.config import get_settings
    from app.db import make_engine

    url = "postgresql+psycopg://nobody@127.0.0.1:9/none"  # never connected to here
    engine = make_engine(url)
    assert (engine.pool.size(), engine.pool._max_overflow) == (8, 12)  # type: ignore[attr-defined]
    monkeypatch.setenv("JOINTOPS_DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("JOINTOPS_DATABASE_MAX_OVERFLOW", "0")
    get_settings.cache_clear()
    try:
        engine = make_engine(url)
        assert (engine.pool.size(), engine.pool._max_overflow) == (3, 0)  # type: ignore[attr-defined]
        with pytest.raises(ValidationError, match="database_pool_size"):
            Settings(database_pool_size=0)
    finally:
        get_settings.cache_clear()
