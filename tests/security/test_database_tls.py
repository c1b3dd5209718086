"""The compose stack's PostgreSQL over verified TLS, proven natively (ASVS 5.0 12.3.1,
12.3.3, 12.3.4).

Docker does not run here, so this starts what docker-compose.yml starts, with the same
pieces: certificates made by scripts/db_certs.sh (the db-certs service), a throwaway
cluster started with the `-c` options of the db service's command and its pg_hba.conf
(deploy/postgres/pg_hba.conf: TLS only over the network), and the board's engine
connecting with production settings and sslmode=verify-full. Needs PostgreSQL's server
binaries (initdb, pg_ctl), not the shared test server; skipped without them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from app.config import ROOT, Settings
from app.db import make_engine

SCRIPT = ROOT / "scripts" / "db_certs.sh"
HBA = ROOT / "deploy" / "postgres" / "pg_hba.conf"
COMPOSE = ROOT / "docker-compose.yml"
PASSWORD = "tls-test-password"  # a throwaway cluster's, on 127.0.0.1 for seconds


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parent.parent.name))
    return Path(versions[-1]).parent if versions else None


BIN = _bin_dir()
pytestmark = pytest.mark.skipif(
    BIN is None or shutil.which("openssl") is None,
    reason="PostgreSQL's server binaries (initdb, pg_ctl) or openssl are not installed"
           " (apt-get install postgresql openssl)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _certificates(directory: Path, owner: str | None) -> None:
    """scripts/db_certs.sh, as compose's db-certs runs it, for the host name localhost.
    Valid from two years back to ten ahead, so that `make test-dates` (a year either
    way, also for these children) finds them valid."""
    env = dict(os.environ, DB_CERTS_DAYS="3650", DB_CERTS_BACKDATE_DAYS="730")
    if owner:
        env["DB_CERTS_OWNER"] = owner
    else:
        env.pop("DB_CERTS_OWNER", None)
    subprocess.run(["sh", str(SCRIPT), str(directory), "localhost"], env=env, check=True,
                   capture_output=True, timeout=30)


def _compose_server_options() -> list[str]:
    """The `-c name=value` options of the db service's command in docker-compose.yml."""
    command = yaml.safe_load(COMPOSE.read_text())["services"]["db"]["command"]
    return [value for flag, value in zip(command, command[1:], strict=False) if flag == "-c"]


@dataclass
class Server:
    port: int
    ca: Path  # the CA that signed the server's certificate (public/ca.crt)
    other_ca: Path  # a CA of the same script's making that signed nothing of this server
    log: Path

    def url(self, host: str = "localhost", **query: str) -> str:
        return URL.create("postgresql+psycopg", username="postgres", password=PASSWORD,
                          host=host, port=self.port, database="postgres",
                          query=query).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def tls_server() -> Iterator[Server]:
    assert BIN is not None
    # initdb and postgres refuse to run as root: as root, run them as `nobody`, who must
    # then own the cluster, read the key and reach everything under this directory.
    user = "nobody" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="jointops-pgtls-"))
    data = base / "data"
    try:
        _certificates(base / "certs", user)
        _certificates(base / "other", None)
        hba = base / "pg_hba.conf"
        shutil.copyfile(HBA, hba)
        (base / "pwfile").write_text(PASSWORD + "\n")
        run_as: list[str] = []
        if user:
            entry = pwd.getpwnam(user)
            for path in (base, base / "pwfile", hba):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            run_as = ["runuser", "-u", user, "--"]
        # In compose server/ is a volume of its own; here the server reaches it through
        # certs/, which the script made for its owner only (ca/ inside stays so).
        for path in (base, base / "certs"):
            path.chmod(0o755)
        subprocess.run([*run_as, str(BIN / "initdb"), "-D", str(data), "-U", "postgres",
                        "--pwfile", str(base / "pwfile"), "--auth-local=trust",
                        "--auth-host=scram-sha-256", "--no-sync"],
                       check=True, capture_output=True, timeout=60)
        # The compose file's paths, mapped onto this directory.
        places = {"/etc/postgresql/tls": str(base / "certs" / "server"),
                  "/etc/postgresql/pg_hba.conf": str(hba)}
        options = []
        for option in _compose_server_options():
            for compose_path, here in places.items():
                option = option.replace(compose_path, here)
            options += ["-c", option]
        port = _free_port()
        options += ["-c", f"port={port}", "-c", "listen_addresses=localhost",
                    "-c", f"unix_socket_directories={base}", "-c", "fsync=off"]
        log = base / "server.log"
        started = subprocess.run(
            [*run_as, str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
             "-t", "20", "-o", subprocess.list2cmdline(options), "start"],
            capture_output=True, timeout=40)
        if started.returncode:
            pytest.fail(f"PostgreSQL did not start: {started.stderr.decode()}\n"
                        f"{log.read_text() if log.exists() else ''}")
        try:
            yield Server(port, base / "certs" / "public" / "ca.crt",
                         base / "other" / "public" / "ca.crt", log)
        finally:
            subprocess.run([*run_as, str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=30)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _production(url: str) -> Settings:
    return Settings(environment="production", secret_key="x" * 40, database_url=url,
                    database_allow_plaintext=False)


@contextlib.contextmanager
def _connection(url: str) -> Iterator[Connection]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def test_the_board_connects_over_tls_with_the_server_verified(tls_server: Server) -> None:
    # Production accepts the URL the compose stack gives (no plaintext override), with
    # the CA in the URL or, as compose sets it, in JOINTOPS_DATABASE_SSLROOTCERT.
    in_url = _production(tls_server.url(sslmode="verify-full", sslrootcert=str(tls_server.ca)))
    from_setting = Settings(environment="production", secret_key="x" * 40,
                            database_url=tls_server.url(sslmode="verify-full"),
                            database_sslrootcert=str(tls_server.ca))
    assert not in_url.database_allow_plaintext
    for settings in (in_url, from_setting):
        with _connection(settings.database_url) as conn:
            ssl, version = conn.execute(text(
                "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).one()
        assert ssl is True
        assert version in ("TLSv1.2", "TLSv1.3")


def test_a_server_certificate_from_another_ca_is_refused(tls_server: Server) -> None:
    url = tls_server.url(sslmode="verify-full", sslrootcert=str(tls_server.other_ca))
    with pytest.raises(OperationalError, match="certificate verify failed"), \
            _connection(_production(url).database_url):
        pass


def test_a_host_name_the_certificate_does_not_name_is_refused(tls_server: Server) -> None:
    # The same server reached by its address: verify-full checks the name in the URL.
    url = tls_server.url("127.0.0.1", sslmode="verify-full", sslrootcert=str(tls_server.ca))
    with pytest.raises(OperationalError, match='does not match host name "127.0.0.1"'), \
            _connection(_production(url).database_url):
        pass


def test_the_server_refuses_a_connection_without_tls(tls_server: Server) -> None:
    # pg_hba.conf has hostssl lines only; production would refuse this URL anyway.
    url = tls_server.url(sslmode="disable")
    with pytest.raises(ValueError, match="without TLS"):
        _production(url)
    with pytest.raises(OperationalError, match="no pg_hba.conf entry.*no encryption"), \
            _connection(url):
        pass


def test_compose_connects_to_its_database_over_verified_tls_only() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert "JOINTOPS_DATABASE_ALLOW_PLAINTEXT" not in COMPOSE.read_text()
    # db-certs runs this script for the host name the URLs use, before the database.
    certs = services["db-certs"]
    assert "./scripts/db_certs.sh:/usr/local/bin/db_certs.sh:ro" in certs["volumes"]
    assert certs["entrypoint"][-1] == "/usr/local/bin/db_certs.sh"
    assert certs["command"] == ["/certs", "db"]
    assert certs["environment"]["DB_CERTS_OWNER"] == "999:999"
    assert "db-tls:/certs/server" in certs["volumes"]
    assert "db-ca-public:/certs/public" in certs["volumes"]
    db = services["db"]
    assert db["depends_on"]["db-certs"]["condition"] == "service_completed_successfully"
    assert {"ssl=on", "ssl_cert_file=/etc/postgresql/tls/server.crt",
            "ssl_key_file=/etc/postgresql/tls/server.key",
            "hba_file=/etc/postgresql/pg_hba.conf"} <= set(_compose_server_options())
    assert "db-tls:/etc/postgresql/tls:ro" in db["volumes"]
    assert "./deploy/postgres/pg_hba.conf:/etc/postgresql/pg_hba.conf:ro" in db["volumes"]
    hba = [line.split() for line in HBA.read_text().splitlines()
           if line.strip() and not line.startswith("#")]
    assert {line[0] for line in hba} == {"local", "hostssl"}
    # Every board service checks the server against the CA's certificate, read-only, and
    # never sees the CA's key; the URLs the header says to write ask for verify-full.
    for name in ("migrate", "web", "worker"):
        service = services[name]
        assert service["environment"]["JOINTOPS_DATABASE_SSLROOTCERT"] == "/run/db-ca/ca.crt"
        assert "db-ca-public:/run/db-ca:ro" in service["volumes"]
        assert not [v for v in service["volumes"] if v.startswith(("db-ca:", "db-tls:"))]
    urls = [line for line in COMPOSE.read_text().splitlines() if "@db:5432/" in line]
    assert len(urls) == 3 and all("/jointops?sslmode=verify-full\"" in u for u in urls)
