"""The TLS proxy in front of the board (ASVS 5.0 12.1.1, 12.1.2, 12.2.1).

Docker does not run here, so this starts what docker-compose.yml's `proxy` and `web`
services run: the real nginx with deploy/nginx/jointops.conf (the production file; only
its listen addresses, certificate paths and the web service's address are changed for a
test host) in front of a real `jointops serve` in production mode on a throwaway SQLite
file, with a self-signed certificate made by `openssl` for the run (never committed).
About 5 s. Skipped only when nginx is not installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from sqlmodel import Session, SQLModel, col, select

from app.config import ROOT
from app.db import make_engine
from app.models import AuditEvent
from app.transfer.views import MAX_UPLOAD_BYTES

CONF = ROOT / "deploy" / "nginx" / "jointops.conf"
COMPOSE = ROOT / "docker-compose.yml"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
STARTUP_SECONDS = 40
# A loopback address of its own for the client: the proxy reaches uvicorn from 127.0.0.1,
# so only the forwarded address can tell the board it was 127.0.0.2.
CLIENT_ADDRESS = "127.0.0.2"

needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (apt-get install nginx; .ci/run does)")


@dataclass
class ProxiedBoard:
    https_port: int
    http_port: int
    certificate: Path
    database_url: str
    nginx_log: Path
    board_log: Path

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """An RSA certificate for 127.0.0.1 and localhost, valid for two days from now (the
    clock openssl, nginx and the client share, faked or not)."""
    certificate, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True)
    return certificate, key


def rendered_configuration(*, http_port: int, https_port: int, app_port: int,
                           certificate: Path, key: Path) -> str:
    """deploy/nginx/jointops.conf for this host: each production value replaced exactly
    once, everything else as it is deployed."""
    text = CONF.read_text()
    for production, here in {
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{https_port} ssl default_server;",
        "/run/secrets/tls_certificate;": f"{certificate};",
        "/run/secrets/tls_key;": f"{key};",
        "server web:8000;": f"server 127.0.0.1:{app_port};",
    }.items():
        assert text.count(production) == 1, production
        text = text.replace(production, here)
    return text


def _main_configuration(directory: Path, site: Path) -> str:
    """The official image's nginx.conf, in short, with its files in `directory`: the site
    configuration is included inside http, as /etc/nginx/conf.d/*.conf is there."""
    # As root, nginx's workers would be `nobody`, who cannot enter pytest's 0700 folder.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {directory / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}worker_processes 1;
pid {directory / 'nginx.pid'};
error_log {directory / 'error.log'} notice;
daemon off;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {directory / 'access.log'};
{temp}
    sendfile on;
    keepalive_timeout 65;
    include {site};
}}
"""


def _wait(until: str, ready: Callable[[], bool], processes: list[subprocess.Popen[bytes]],
          logs: list[Path]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise AssertionError(f"exited before {until}:\n" + _tails(logs))
        try:
            if ready():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"not {until} after {STARTUP_SECONDS} s:\n" + _tails(logs))


def _tails(logs: list[Path]) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                     for log in logs if log.exists())


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def proxied_board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxiedBoard]:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run does)")
    directory = tmp_path_factory.mktemp("tls-proxy")
    certificate, key = _self_signed_certificate(directory)
    database_url = f"sqlite:///{directory / 'board.db'}"
    engine = make_engine(database_url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()

    app_port, http_port, https_port = _free_port(), _free_port(), _free_port()
    site = directory / "jointops.conf"
    site.write_text(rendered_configuration(http_port=http_port, https_port=https_port,
                                           app_port=app_port, certificate=certificate,
                                           key=key))
    main = directory / "nginx.conf"
    main.write_text(_main_configuration(directory, site))
    board_log, nginx_log = directory / "board.log", directory / "error.log"
    # As the compose stack's web service runs it: production, forwarded headers believed
    # from the proxy's address (here 127.0.0.1, the default, said out loud).
    env = {
        **os.environ,
        "JOINTOPS_ENVIRONMENT": "production",
        "JOINTOPS_DATABASE_URL": database_url,
        "JOINTOPS_SECRET_KEY": secrets.token_urlsafe(48),
        "JOINTOPS_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "JOINTOPS_SPAWN_WORKER": "false",
    }
    for name in ("JOINTOPS_SECRET_KEY_FILE", "JOINTOPS_DATABASE_URL_FILE", "JOINTOPS_CLAMD"):
        env.pop(name, None)
    processes: list[subprocess.Popen[bytes]] = []
    logs = [board_log, nginx_log]
    try:
        with board_log.open("wb") as out:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(app_port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        _wait("serving", lambda: httpx.get(f"http://127.0.0.1:{app_port}/healthz",
                                           timeout=1).status_code == 200, processes, logs)
        processes.append(subprocess.Popen(
            [NGINX, "-e", str(nginx_log), "-p", str(directory), "-c", str(main)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        board = ProxiedBoard(https_port, http_port, certificate, database_url, nginx_log,
                             board_log)
        _wait("proxying", lambda: httpx.get(board.https + "/healthz", verify=_trusting(board),
                                            timeout=1).status_code == 200, processes, logs)
        yield board
    finally:
        for process in reversed(processes):
            _stop(process)


def _trusting(board: ProxiedBoard) -> ssl.SSLContext:
    """A client that trusts the run's certificate and checks the name (127.0.0.1)."""
    return ssl.create_default_context(cafile=str(board.certificate))


def _handshake(board: ProxiedBoard, context: ssl.SSLContext) -> tuple[str, str, bool]:
    """TLS with the proxy: the version, the cipher suite and whether the server gave a
    session ticket; ssl.SSLError when the proxy refuses."""
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", board.https_port), timeout=5) as raw, \
            context.wrap_socket(raw) as tls:
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = tls.recv(4096)  # in TLS 1.3 the ticket, if any, arrives after the handshake
        assert answer.startswith(b"HTTP/1.1 200"), answer
        version, cipher = tls.version(), tls.cipher()
        assert version is not None and cipher is not None
        session = tls.session
        return version, cipher[0], bool(session and session.has_ticket)


def _client(minimum: ssl.TLSVersion, maximum: ssl.TLSVersion,
            ciphers: str | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # SECLEVEL=0: this client may offer what the system's OpenSSL would not (TLS 1.0, SHA-1,
    # 3DES), so that the refusal measured is the proxy's.
    context.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")
    context.minimum_version, context.maximum_version = minimum, maximum
    return context


@needs_nginx
def test_the_board_arrives_over_https_with_one_hsts_header(proxied_board: ProxiedBoard) -> None:
    response = httpx.get(proxied_board.https + "/login", verify=_trusting(proxied_board))
    assert response.status_code == 200
    assert 'name="password"' in response.text
    # The board sends HSTS in production; the proxy adds none of its own.
    assert response.headers.get_list("strict-transport-security") == [
        "max-age=31536000; includeSubDomains"]
    assert "nginx/" not in response.headers.get("server", "")


@needs_nginx
@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_tls_before_1_2_is_refused(proxied_board: ProxiedBoard, version: ssl.TLSVersion) -> None:
    with pytest.raises(ssl.SSLError):
        _handshake(proxied_board, _client(version, version))


@needs_nginx
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_connect_without_session_tickets(
    proxied_board: ProxiedBoard, version: ssl.TLSVersion
) -> None:
    negotiated, _, ticket = _handshake(proxied_board, _client(version, version))
    assert negotiated == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[
        version]
    # No TLS 1.2 session ticket (a key nginx never rotates). TLS 1.3 resumes by a ticket
    # always; with tickets off OpenSSL's is only the key of a session in nginx's cache.
    assert not ticket or version == ssl.TLSVersion.TLSv1_3


@needs_nginx
@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_weak_cipher_suites_are_refused(proxied_board: ProxiedBoard) -> None:
    # CBC with SHA-1 (with and without forward secrecy), 3DES, RC4 where OpenSSL still has
    # it, and static RSA key exchange even with GCM: a client offering only these gets no
    # connection.
    weak = ("ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA:"
            "DES-CBC3-SHA:RC4-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError):
        _handshake(proxied_board, _client(ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2, weak))


@needs_nginx
def test_the_strongest_suite_the_client_offers_is_chosen(proxied_board: ProxiedBoard) -> None:
    offered = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"
    _, cipher, _ = _handshake(
        proxied_board, _client(ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2, offered))
    assert cipher == "ECDHE-RSA-AES256-GCM-SHA384"


@needs_nginx
def test_plain_http_only_redirects_to_https(proxied_board: ProxiedBoard) -> None:
    base = f"http://127.0.0.1:{proxied_board.http_port}"
    for method in ("GET", "POST"):
        response = httpx.request(method, base + "/login?next=%2Fcalendar",
                                 follow_redirects=False)
        assert response.status_code == 301
        assert response.headers["location"] == "https://127.0.0.1/login?next=%2Fcalendar"
        # nginx's own short notice; nothing of the board, no cookie.
        assert "301 Moved Permanently" in response.text and len(response.content) < 300
        assert 'name="password"' not in response.text and "JointOps" not in response.text
        assert "set-cookie" not in response.headers
    # Nothing sent over HTTP reaches the board: its access log shows the probe over HTTPS
    # only.
    httpx.get(base + "/plaintext-probe", follow_redirects=False)
    httpx.get(proxied_board.https + "/tls-probe", verify=_trusting(proxied_board))
    deadline = time.monotonic() + 5
    while "/tls-probe" not in proxied_board.board_log.read_text() and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    log = proxied_board.board_log.read_text()
    assert "/tls-probe" in log and "/plaintext-probe" not in log


@needs_nginx
def test_the_board_sees_https_and_the_clients_address(proxied_board: ProxiedBoard) -> None:
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS,
                                    verify=_trusting(proxied_board))
    with httpx.Client(transport=transport, base_url=proxied_board.https) as client:
        # Starlette builds the trailing-slash redirect from the scheme it was given.
        response = client.get("/login/", follow_redirects=False)
        assert response.headers["location"] == proxied_board.https + "/login"
        page = client.get("/login")
        # Production's cookies: only a browser on HTTPS keeps them.
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("__Host-jointops_csrf=") and "secure" in cookie.lower()
        token = client.cookies["__Host-jointops_csrf"]
        # A forged X-Forwarded-For from the client is not passed on.
        client.post("/login", headers={"X-Forwarded-For": "198.51.100.66"},
                    data={"username": "nobody", "password": "wrong password",
                          "csrf_token": token})
    engine = make_engine(proxied_board.database_url)
    try:
        with Session(engine) as session:
            event = session.exec(select(AuditEvent)
                                 .where(AuditEvent.action == "auth.sign_in_failed")
                                 .order_by(col(AuditEvent.id).desc())).first()
    finally:
        engine.dispose()
    assert event is not None and event.address == CLIENT_ADDRESS


@needs_nginx
def test_bodies_beyond_the_upload_limit_stop_at_the_proxy(proxied_board: ProxiedBoard) -> None:
    limit = re.search(r"client_max_body_size (\d+)m;", CONF.read_text())
    assert limit is not None
    proxy_limit = int(limit.group(1)) * 1024 * 1024
    # The largest upload (a 20 MiB import) and its multipart framing fit; not much more.
    assert MAX_UPLOAD_BYTES < proxy_limit <= MAX_UPLOAD_BYTES + 2 * 1024 * 1024
    context = ssl.create_default_context(cafile=str(proxied_board.certificate))
    with socket.create_connection(("127.0.0.1", proxied_board.https_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(f"POST /admin/import HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Length: {proxy_limit + 1}\r\nConnection: close\r\n\r\n".encode())
        assert tls.recv(4096).startswith(b"HTTP/1.1 413")


def test_the_compose_stack_publishes_the_proxy_only() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert [name for name, service in services.items() if "ports" in service] == ["proxy"]
    proxy, web = services["proxy"], services["web"]
    assert sorted(proxy["ports"]) == ["443:443", "80:80"]
    # The tested file, read-only, in place of the image's default server.
    assert "./deploy/nginx/jointops.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert re.fullmatch(r"nginx:\d+\.\d+\.\d+", proxy["image"])
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert proxy["restart"] == "unless-stopped" and proxy["healthcheck"]["test"]
    assert set(proxy["secrets"]) == {"tls_certificate", "tls_key"}
    # The web service believes forwarded headers from the proxy's address alone.
    address = proxy["networks"]["frontend"]["ipv4_address"]
    assert web["environment"]["JOINTOPS_FORWARDED_ALLOW_IPS"] == address
    assert "frontend" in web["networks"]
    conf = CONF.read_text()
    assert "Strict-Transport-Security" not in re.sub(r"#.*", "", conf)
