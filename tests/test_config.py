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
    for mode in ("require", "verify-ca", "verify-full"):
        url = f"{PG}?sslmode={mode}&sslrootcert=/run/secrets/db_ca.crt"
        assert Settings(environment="production", secret_key=secret, database_url=url,
                        migration_database_url=url).database_url == url
    # Explicitly overridden (a private network), SQLite (no connection), or not production.
    assert Settings(environment="production", secret_key=secret, database_url=PG,
                    database_allow_plaintext=True).database_allow_plaintext
    assert Settings(environment="production", secret_key=secret,
                    database_url="sqlite:////var/lib/jointops/board.db")
    assert Settings(environment="test", secret_key=secret, database_url=PG)
    assert Settings(environment="dev", database_url=PG)


def test_compose_says_why_it_allows_a_plain_database_connection() -> None:
    from app.config import ROOT

    compose = (ROOT / "docker-compose.yml").read_text()
    assert 'JOINTOPS_DATABASE_ALLOW_PLAINTEXT: "true"' in compose
    assert "sslmode=verify-full" in compose  # the comment says how to require TLS


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
        "database_url": {"migrate", "web", "worker"},
        "secret_key": {"migrate", "web", "worker"},
        "db_password": {"db"},
        "db_app_password": {"db"},
    }
    init = "./deploy/postgres/board-role.sh:/docker-entrypoint-initdb.d/10-board-role.sh:ro"
    assert init in services["db"]["volumes"]
    script = (ROOT / "deploy" / "postgres" / "board-role.sh").read_text()
    assert f"CREATE ROLE {role} LOGIN PASSWORD :'password';" in script
    assert "db_app_password" in services["db"]["secrets"]
