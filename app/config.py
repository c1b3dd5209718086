"""Settings of the board: the only reader of the environment (prefix JOINTOPS_)."""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "changethis"
ROOT = Path(__file__).resolve().parent.parent
# libpq's sslmode values that encrypt the connection (ASVS 5.0 12.3.1, 12.3.3); only
# verify-full also checks the server's certificate and name (12.3.2, 12.3.4), so it is
# the one production accepts unless JOINTOPS_DATABASE_ALLOW_UNVERIFIED_TLS says otherwise.
TLS_SSLMODES = ("require", "verify-ca", "verify-full")
VERIFIED_SSLMODE = "verify-full"
# JOINTOPS_TOTP_ALGORITHM's values, the default first.
TOTP_ALGORITHMS = ("SHA256", "SHA1")


class Settings(BaseSettings):
    """Runtime configuration, read from JOINTOPS_* variables and an optional .env file."""

    model_config = SettingsConfigDict(env_prefix="JOINTOPS_", env_file=".env", extra="ignore")

    environment: Literal["dev", "test", "production"] = "dev"
    database_url: str = f"sqlite:///{ROOT / 'var' / 'jointops.db'}"
    # The owner role's URL for `jointops migrate` (DDL); unset, migrations use
    # database_url. With it set, the board's own role needs only SELECT, INSERT, UPDATE,
    # DELETE (SECURITY.md, "Database roles and TLS").
    migration_database_url: str | None = None
    # Outside dev a PostgreSQL URL must ask for TLS (?sslmode=verify-full&sslrootcert=..);
    # true accepts a plain connection, for a database reached only over a private network
    # the operator vouches for (the compose stack's internal network).
    database_allow_plaintext: bool = False
    # The CA file that signed the PostgreSQL server's certificate (libpq `sslrootcert`),
    # added to both database URLs when they do not name one themselves.
    database_sslrootcert: str | None = None
    # true accepts sslmode=require or verify-ca in production: encrypted, but a server
    # whose certificate (require) or name (verify-ca) is not checked could be anyone.
    database_allow_unverified_tls: bool = False
    secret_key: str = PLACEHOLDER_SECRET
    # Keys retired by a rotation (`jointops rotate-secret-key`), comma- or line-separated:
    # what they signed still verifies, nothing new is signed with them. Drop them once what
    # they signed has expired (SECURITY.md, "Key rotation").
    secret_key_previous: str = ""
    # The audit chain's hash for new rows (app.audit.HASHES); rows keep the one they name.
    audit_hash_algorithm: Literal["sha256", "sha3-256"] = "sha256"
    # The HMAC of new TOTP enrolments (app/accounts/totp.py): SHA256, or SHA1 for a fleet
    # whose authenticator app makes SHA-1 codes only (ASVS 5.0 11.4.1 disallows SHA-1 for
    # new material). Each user keeps the algorithm they enrolled with until they enrol
    # again, whatever this says later.
    totp_algorithm: Literal["SHA256", "SHA1"] = "SHA256"
    session_lifetime_minutes: int = 12 * 60
    # A session unused for this long ends too, whatever its absolute lifetime left.
    session_idle_minutes: int = 60
    # An initial password set by an administrator is refused after this many hours if
    # the user has not replaced it with their own (ASVS 5.0 6.4.1).
    initial_password_hours: float = Field(default=72, gt=0)
    # Secure cookies need HTTPS; the dev server on 127.0.0.1 runs plain HTTP. Production
    # always sends them Secure, with the __Host- prefix (see `secure_cookies`).
    cookie_secure: bool = False
    # The reverse proxies whose X-Forwarded-For / X-Forwarded-Proto `jointops serve`
    # believes (comma-separated addresses or networks, as uvicorn's
    # --forwarded-allow-ips; "*" trusts any peer, "" none). From any other peer the
    # headers are ignored and the client's address is the TCP peer (ASVS 5.0 4.1.3).
    forwarded_allow_ips: str = "127.0.0.1"
    sqlite_busy_timeout_ms: int = 10_000
    # Unsafe requests (POST, PUT, PATCH, DELETE) one signed-in user may send per minute,
    # over every process (app/deps.py `limit_requests`); beyond it 429 with Retry-After.
    # 0 turns the limit off.
    writes_per_minute: int = Field(default=300, ge=0)
    # Reads (GET, HEAD) per signed-in user and minute, per web process (counted in its
    # memory: with 4 processes a user may read up to 4 times this). 0 turns it off.
    reads_per_minute: int = Field(default=600, ge=0)
    # SQLite's fsync policy in WAL mode. NORMAL may lose the last commits on a power
    # loss (never corrupts); FULL syncs every commit: use it in production (cost measured
    # in bench/README.md, "SQLite synchronous").
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    feed_refresh_minutes: int = 30
    # The web server starts `jointops worker` as a child process at startup (for
    # `make run`); set JOINTOPS_SPAWN_WORKER=false when a worker runs separately.
    spawn_worker: bool = True
    worker_poll_seconds: float = 1.0
    # The solver worker lowers its CPU priority by this much (nice): a solve takes every
    # core it is given, and on a machine it shares with web processes the pages waited
    # behind it (bench/load.py). 0 keeps the priority it was started with.
    worker_nice: int = Field(default=10, ge=0, le=19)
    # PostgreSQL connections each process keeps open, and how many more it may open at
    # busy moments (closed again when returned). SQLAlchemy's 5 were too few for a web
    # process's 40 request threads: under bench/load.py the extra connections were
    # opened and closed all the time, a new server process each. The server must allow
    # (pool size + overflow) x web processes, plus the workers' few.
    database_pool_size: int = Field(default=8, ge=1, le=100)
    database_max_overflow: int = Field(default=12, ge=0, le=200)
    # How often a web process's running thread is asked to let another run (Python's
    # switch interval, 5 ms by default). A feed poll or a short page gives the lock up at
    # every database round trip and waits this long to get it back while a page renders
    # beside it: 1 ms cut a poll's p95 five- to sevenfold beside two busy threads, which
    # got less done meanwhile (8 to 33 % in two runs; bench/gil_switch.py, bench/README.md).
    gil_switch_interval_ms: float = Field(default=1.0, ge=0.1, le=100)
    # A web process's garbage collector runs its youngest generation after this many new
    # objects (Python: 700), the older ones at Python's ratios (every 10 of the one
    # before). The run page and solve starts keep parsed plans and scenarios of hundreds of
    # thousands of objects, so with Python's 700 a full collection walked them all about
    # every 6 s under bench/load.py, holding the interpreter 0.3 s on average; with 50,000
    # there was none in 300 s, and collections of any kind were 250 times rarer, at the
    # same memory (jointops_gc_pause_seconds in /metrics, bench/README.md).
    gc_young_threshold: int = Field(default=50_000, ge=100, le=10_000_000)
    # A running solve whose heartbeat is older than this is marked failed.
    worker_stale_seconds: float = 30.0
    heartbeat_seconds: float = 1.0
    max_time_limit_seconds: int = 600
    # A solve never schedules before now plus this notice: units need time to get going.
    planning_notice_minutes: int = 60
    # An H-hour within this many hours of the solve is flagged as short notice.
    short_notice_hours: int = 24
    # A foreign unit waiting longer than this inside the host country (from crossing in
    # to H-hour, or from the task's end to crossing out) is flagged (app/planning/dwell.py).
    foreign_dwell_limit_hours: float = Field(default=4.0, gt=0)
    # A solver worker touches this file on every poll (a container healthcheck reads it).
    worker_alive_file: Path | None = None
    # Single feed polls are kept this long, then summarised per token and day.
    feed_poll_retention_days: int = 30
    # /metrics answers a request bearing this token; unset, only loopback clients.
    metrics_token: str | None = None
    # Server logs: one JSON object per line ("json"), or plain text lines ("text").
    log_format: Literal["json", "text"] = "json"
    # Also ship every log record, as a JSON line, to a syslog collector on another
    # machine (ASVS 5.0 16.4.3): "host:port" or "udp://host:port" (UDP), "tcp://host:port"
    # (TCP, one record per line), "tls://host:port" (TCP in TLS, the collector's
    # certificate and name verified). Production accepts UDP and tcp:// only for a
    # collector on this host (ASVS 5.0 12.3.1). Unset: stdout/stderr only.
    log_syslog: str | None = None
    # The CA file that signed the collector's certificate for tls:// (default: the
    # system's CAs).
    log_syslog_cafile: str | None = None
    # ClamAV's clamd, to scan uploads before they are saved (app/antivirus.py): its unix
    # socket, "unix:///run/clamd/clamd.sock" (or the bare absolute path), or TCP,
    # "host:port" / "tcp://host:port". clamd has no TLS: production accepts TCP to this
    # host only (127.0.0.1, ::1, localhost). Unset: uploads are not scanned (production
    # warns at start-up).
    clamd: str | None = None
    clamd_timeout_seconds: float = Field(default=30.0, gt=0)
    # Amendment notices by email (app/notices/outbox.py); unset host: in-app notices only.
    # The password comes from a file: JOINTOPS_SMTP_PASSWORD_FILE=/run/secrets/smtp.
    smtp_host: str | None = None
    smtp_port: int = 587
    # "starttls" upgrades the connection, "tls" connects with TLS (port 465), "none" is
    # for a relay on the same host only (production refuses it for any other host).
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_from: str = "jointops@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 10.0
    # The board's address as officers open it, for the link in a notice email.
    public_url: str | None = None

    @property
    def secure_cookies(self) -> bool:
        """Cookies are sent only over HTTPS (production, or asked for)."""
        return self.cookie_secure or self.environment == "production"

    def cookie_name(self, name: str) -> str:
        """`name`, with the __Host- prefix when cookies are secure: the browser then keeps
        it only if it came over HTTPS, for this host and path /, so a sibling subdomain or
        a plain-HTTP page cannot plant or overwrite it."""
        return f"__Host-{name}" if self.secure_cookies else name

    @property
    def session_cookie_name(self) -> str:
        return self.cookie_name("jointops_session")

    @property
    def totp_required(self) -> bool:
        """Every user must use a second factor (optional in dev, so the demo logins of
        `make run` work with their passwords alone)."""
        return self.environment != "dev"

    @field_validator("totp_algorithm", mode="before")
    @classmethod
    def _check_totp_algorithm(cls, value: object) -> object:
        """SHA256 or SHA1, in any case (sha-256 too); anything else is refused by name."""
        name = str(value).strip().upper().replace("-", "")
        if name not in TOTP_ALGORITHMS:
            raise ValueError(f"JOINTOPS_TOTP_ALGORITHM={value!r}: choose"
                             f" {' or '.join(TOTP_ALGORITHMS)} (the HMAC of new TOTP"
                             " enrolments; SHA1 only for authenticator apps without SHA-256)")
        return name

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "dev" and (
            self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                f"JOINTOPS_SECRET_KEY must be a real secret of 32+ characters in {self.environment}"
            )
        if self.environment != "dev" and any(
            key == PLACEHOLDER_SECRET or len(key) < 32 for key in self.previous_secret_keys
        ):
            raise ValueError("JOINTOPS_SECRET_KEY_PREVIOUS: every key must be 32+ characters")
        return self

    @property
    def previous_secret_keys(self) -> list[str]:
        """The retired keys, newest first as listed."""
        return [key for key in self.secret_key_previous.replace(",", "\n").split() if key]

    @property
    def verifying_secret_keys(self) -> list[str]:
        """The keys a signature may have been made with: the current one, then the
        previous ones (signing uses `secret_key` alone)."""
        return [self.secret_key, *self.previous_secret_keys]

    @model_validator(mode="after")
    def _check_log_syslog(self) -> Settings:
        if self.log_syslog:
            syslog_target(self.log_syslog)  # raises ValueError naming what is wrong
        return self

    @model_validator(mode="after")
    def _check_clamd(self) -> Settings:
        if self.clamd:
            clamd_target(self.clamd)  # raises ValueError naming what is wrong
        return self

    @model_validator(mode="after")
    def _refuse_plaintext_channels(self) -> Settings:
        """ASVS 5.0 12.3.1: in production every connection that leaves this host is
        encrypted. clamd, an SMTP relay without TLS and syslog over UDP or TCP are
        accepted only on this host (loopback or a unix socket: no network to read)."""
        if self.environment != "production":
            return self
        if self.clamd:
            kind, host, port = clamd_target(self.clamd)
            if kind == "tcp" and not is_loopback(host):
                raise ValueError(
                    f"JOINTOPS_CLAMD={self.clamd!r}: clamd has no TLS, so uploads would"
                    f" cross the network to {host} in plaintext, refused in production:"
                    " share clamd's unix socket (JOINTOPS_CLAMD=unix:///run/clamd/clamd.sock,"
                    f" as the compose stack does) or run clamd on this host (127.0.0.1:{port})")
        if self.smtp_host and self.smtp_security == "none" and not is_loopback(self.smtp_host):
            raise ValueError(
                f"JOINTOPS_SMTP_SECURITY=none would send notices, and any SMTP password,"
                f" to {self.smtp_host} in plaintext, refused in production: use starttls"
                " (port 587) or tls (port 465); none is for a relay on this host only"
                " (JOINTOPS_SMTP_HOST=127.0.0.1)")
        if self.log_syslog:
            protocol, host, port = syslog_target(self.log_syslog)
            if protocol != "tls" and not is_loopback(host):
                raise ValueError(
                    f"JOINTOPS_LOG_SYSLOG={self.log_syslog!r} would ship the logs to {host}"
                    f" in plaintext ({protocol.upper()}), refused in production: use"
                    f" tls://{host}:6514 (the collector's certificate and name verified;"
                    " JOINTOPS_LOG_SYSLOG_CAFILE for a private CA), or a collector on this"
                    " host (udp://127.0.0.1:514)")
        return self

    @model_validator(mode="after")
    def _add_sslrootcert(self) -> Settings:
        if self.database_sslrootcert:
            self.database_url = with_sslrootcert(self.database_url, self.database_sslrootcert)
            if self.migration_database_url:
                self.migration_database_url = with_sslrootcert(
                    self.migration_database_url, self.database_sslrootcert)
        return self

    @model_validator(mode="after")
    def _refuse_plaintext_database(self) -> Settings:
        if self.environment != "production" or self.database_allow_plaintext:
            return self
        for name, url in (("JOINTOPS_DATABASE_URL", self.database_url),
                          ("JOINTOPS_MIGRATION_DATABASE_URL", self.migration_database_url)):
            problem = (database_tls_problem(url, self.database_allow_unverified_tls)
                       if url else None)
            if problem:
                raise ValueError(f"{name}: {problem}")
        return self


def syslog_target(value: str) -> tuple[str, str, int]:
    """JOINTOPS_LOG_SYSLOG as (protocol, host, port): "host:port" and "udp://host:port"
    are UDP, "tcp://host:port" TCP, "tls://host:port" TCP in TLS; an IPv6 host is written
    in brackets, [::1]:514."""
    protocol, _, rest = value.rpartition("://")
    protocol = protocol or "udp"
    host, _, port = rest.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if protocol not in ("udp", "tcp", "tls") or not host or not port.isdigit() \
            or not 0 < int(port) < 65536:
        raise ValueError(
            f"JOINTOPS_LOG_SYSLOG={value!r}: write host:port (UDP), udp://host:port,"
            " tcp://host:port or tls://host:port, e.g. tls://logs.example:6514")
    return protocol, host, int(port)


def clamd_target(value: str) -> tuple[Literal["unix", "tcp"], str, int]:
    """JOINTOPS_CLAMD as ("unix", path, 0) or ("tcp", host, port): "unix:///path" or an
    absolute path is clamd's LocalSocket, "host:port" or "tcp://host:port" its TCPSocket
    (an IPv6 host in brackets, [::1]:3310)."""
    if value.startswith("unix://") or value.startswith("/"):
        path = value.removeprefix("unix://")
        if path.startswith("/") and len(path) > 1:
            return "unix", path, 0
    else:
        host, _, port = value.removeprefix("tcp://").rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if host and "/" not in host and port.isdigit() and 0 < int(port) < 65536:
            return "tcp", host, int(port)
    raise ValueError(
        f"JOINTOPS_CLAMD={value!r}: write unix:///path/to/clamd.sock (clamd's LocalSocket),"
        " or host:port or tcp://host:port (its TCPSocket)")


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine (localhost, 127.0.0.0/8, ::1): a connection to it
    never crosses a network."""
    name = host.removeprefix("[").removesuffix("]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def with_sslrootcert(url: str, path: str) -> str:
    """`url` with libpq's sslrootcert=`path`, unless it names one already (PostgreSQL
    only: a SQLite URL has no connection to verify)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or "sslrootcert" in parsed.query:
        return url
    return parsed.update_query_dict({"sslrootcert": path}).render_as_string(
        hide_password=False)


def database_tls_problem(url: str, allow_unverified: bool = False) -> str | None:
    """Why this database URL would talk to PostgreSQL without verified TLS, or None.

    Only sslmode=verify-full checks that the server holds a certificate from the
    configured CA for the host named in the URL; `allow_unverified` also accepts
    require and verify-ca (encrypted, but a machine in the middle could answer)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return "not a database URL"
    if parsed.get_backend_name() != "postgresql":
        return None  # SQLite: a file, no connection
    mode = parsed.query.get("sslmode")
    if mode == VERIFIED_SSLMODE or (allow_unverified and mode in TLS_SSLMODES):
        return None
    if mode in TLS_SSLMODES:
        return (
            f"sslmode={mode} encrypts but does not verify the PostgreSQL server's"
            " certificate and name, refused in production: use sslmode=verify-full with"
            " sslrootcert=<the CA file> in the URL or JOINTOPS_DATABASE_SSLROOTCERT, or set"
            " JOINTOPS_DATABASE_ALLOW_UNVERIFIED_TLS=true to accept it"
        )
    return (
        f"a PostgreSQL connection without TLS (sslmode={mode or 'unset'}) is refused in"
        " production: add ?sslmode=verify-full&sslrootcert=/run/secrets/db_ca.crt to the"
        " URL, or set JOINTOPS_DATABASE_ALLOW_PLAINTEXT=true for a"
        " database reached only over a private network"
    )


def file_settings(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Settings read from files: JOINTOPS_<NAME>_FILE=/run/secrets/x sets <name>.

    Secrets (database URL with its password, the secret key) then stay out of the
    environment, where `docker inspect` and crash reports show them.
    """
    values: dict[str, str] = {}
    for variable, path in (os.environ if environ is None else environ).items():
        if not (variable.startswith("JOINTOPS_") and variable.endswith("_FILE")):
            continue
        if variable.removeprefix("JOINTOPS_").lower() in Settings.model_fields:
            continue  # a setting that names a file itself (JOINTOPS_WORKER_ALIVE_FILE)
        name = variable.removeprefix("JOINTOPS_").removesuffix("_FILE").lower()
        if name not in Settings.model_fields:
            raise ValueError(f"{variable}: there is no setting JOINTOPS_{name.upper()}")
        try:
            values[name] = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"{variable}: cannot read {path}: {exc.strerror}") from None
    return values


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests may call get_settings.cache_clear())."""
    return Settings(**file_settings())  # type: ignore[arg-type]
