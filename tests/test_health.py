"""Probes, request ids, JSON logs and metrics: what operators and their tools read."""

from __future__ import annotations

import gc
import json
import logging
import logging.config
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import ROOT, get_settings
from app.db import get_session
from app.feeds.logging import install_token_masking
from app.health import migration_heads
from app.main import create_app
from app.models import RunStatus, SolverRun
from app.observability import (
    GARBAGE_COLLECTIONS,
    JsonFormatter,
    log_config,
    request_id,
    watch_garbage_collections,
)

TOKEN = "scrape-secret-0123456789"


def test_healthz_answers_without_the_database_and_echoes_a_request_id(
    client: TestClient,
) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.1"})
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert answer.headers["X-Request-ID"] == "lb-7f3a.1"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_request_id_that_is_not_a_plain_token_is_replaced(client: TestClient) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": "x <script>" * 10})
    rid = answer.headers["X-Request-ID"]
    assert len(rid) == 32 and rid.isalnum()
    assert client.get("/healthz").headers["X-Request-ID"] != rid


def test_readyz_is_503_and_says_why_when_the_schema_is_not_at_head(
    client: TestClient,
) -> None:
    # The suite's database is built from the models, without Alembic's record.
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"].startswith("at nothing; head is ")
    assert body["checks"]["queue"] == "ok, 0 queued"


@pytest.fixture
def migrated_client(migration_engine: Engine) -> Iterator[tuple[TestClient, Session]]:
    config = Config(str(ROOT / "alembic.ini"))
    with migration_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    application = create_app()
    with Session(migration_engine) as db:
        application.dependency_overrides[get_session] = lambda: db
        with TestClient(application) as test_client:
            yield test_client, db


def test_readyz_is_200_on_a_migrated_database_and_counts_the_queue(
    migrated_client: tuple[TestClient, Session],
) -> None:
    client, db = migrated_client
    db.add(SolverRun(status=RunStatus.queued))
    db.commit()
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "at head", "queue": "ok, 1 queued"},
    }
    assert len(migration_heads()) == 1


@pytest.fixture
def metrics_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("JOINTOPS_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    yield TOKEN
    get_settings.cache_clear()


def test_metrics_need_the_token(client: TestClient, metrics_token: str) -> None:
    refused = client.get("/metrics")
    assert refused.status_code == 403
    assert "JOINTOPS_METRICS_TOKEN" in refused.text
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403


def test_metrics_count_requests_by_route_template_feeds_and_solver_runs(
    client: TestClient, session: Session, metrics_token: str
) -> None:
    session.add(SolverRun(status=RunStatus.queued))
    session.add(SolverRun(status=RunStatus.failed))
    session.flush()
    secret = "s3cr3t-feed-token-value"
    assert client.get(f"/feeds/{secret}.ics").status_code == 404
    client.get("/healthz")

    answer = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})

    assert answer.status_code == 200
    text = answer.text
    assert 'jointops_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'jointops_feed_polls_total{status="404"}' in text
    assert "jointops_http_request_duration_seconds_bucket" in text
    assert 'jointops_solver_runs{status="queued"} 1.0' in text
    assert 'jointops_solver_runs{status="failed"} 1.0' in text
    assert "jointops_solver_queue_depth 1.0" in text
    # Series are per route template: a feed token never becomes a label.
    assert secret not in text


def test_metrics_count_garbage_collections_by_generation_after_the_next_request(
    client: TestClient, metrics_token: str
) -> None:
    """A collection stops every request of its process: operators see how often and how
    long (app.observability.GarbageCollections). The pause is counted outside the
    collection, where prometheus-client's lock may be taken."""
    def collections(text: str) -> float:
        line = next((line for line in text.splitlines() if line.startswith(
            'jointops_gc_pause_seconds_count{generation="2"}')), "_ 0")
        return float(line.split()[-1])

    auth = {"Authorization": f"Bearer {metrics_token}"}
    watch_garbage_collections()
    try:
        before = collections(client.get("/metrics", headers=auth).text)
        gc.collect()
        gc.collect()
        assert [g for g, _ in GARBAGE_COLLECTIONS.pending].count(2) == 2, "only queued"
        client.get("/healthz")
        assert not GARBAGE_COLLECTIONS.pending
        assert collections(client.get("/metrics", headers=auth).text) >= before + 2
    finally:
        gc.callbacks.remove(GARBAGE_COLLECTIONS)
        GARBAGE_COLLECTIONS.pending.clear()


def test_json_log_lines_carry_the_request_id_and_mask_feed_tokens() -> None:
    install_token_masking()
    token = request_id.set("req-42")
    try:
        record = logging.getLogger("app.test").makeRecord(
            "app.test", logging.INFO, __file__, 1, "served %s", ("/feeds/abcSECRET.ics",), None
        )
        line = JsonFormatter().format(record)
    finally:
        request_id.reset(token)
    payload = json.loads(line)
    assert payload["request_id"] == "req-42"
    assert payload["level"] == "INFO" and payload["logger"] == "app.test"
    assert payload["message"] == "served /feeds/[redacted]"
    assert payload["time"].endswith("+00:00")


def test_text_log_lines_cannot_be_forged_with_line_breaks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # ASVS 5.0 16.4.1: a username typed with a line break must not start a fake record.
    saved = logging.root.handlers[:], logging.root.level
    try:
        logging.config.dictConfig(log_config("text"))
        logging.getLogger("app.test").warning(
            "sign-in refused for %s", "noy\n2026-12-03 09:00:00 INFO app admin signed in\r")
    finally:
        logging.root.handlers, level = saved
        logging.root.setLevel(level)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("sign-in refused for noy\\n2026-12-03 09:00:00 INFO app admin"
                             " signed in\\r")


def test_server_log_config_lets_the_boards_info_records_through(
    capsys: pytest.CaptureFixture[str],
) -> None:
    saved = logging.root.handlers[:], logging.root.level
    try:
        logging.config.dictConfig(log_config("json"))
        logging.getLogger("app.planning.spawn").info("worker started")
    finally:
        logging.root.handlers, level = saved
        logging.root.setLevel(level)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert json.loads(line)["message"] == "worker started"


def _ship_one_record(target: str) -> None:
    """Log one record, as the server would, through JOINTOPS_LOG_SYSLOG=`target`."""
    install_token_masking()
    saved = logging.root.handlers[:], logging.root.level
    token = request_id.set("req-77")
    try:
        logging.config.dictConfig(log_config("text", syslog=target))
        logging.getLogger("app.test").warning("served %s", "/feeds/abcSECRET.ics")
    finally:
        request_id.reset(token)
        for handler in logging.root.handlers:
            if handler not in saved[0]:
                handler.close()
        logging.root.handlers, level = saved
        logging.root.setLevel(level)


def _shipped(data: bytes) -> dict[str, object]:
    text = data.decode()
    # <priority>ident JSON: local0 (16) and warning (4) give 16 * 8 + 4 = 132.
    assert text.startswith("<132>jointops: {"), text
    return json.loads(text.removeprefix("<132>jointops: "))


def test_json_log_lines_are_shipped_to_a_syslog_collector_over_udp() -> None:
    # ASVS 5.0 16.4.3: the logs reach a separate system, as JSON, with the request id
    # and the feed token masked (the text format on stderr changes nothing of that).
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as collector:
        collector.bind(("127.0.0.1", 0))
        collector.settimeout(5)
        port = collector.getsockname()[1]
        _ship_one_record(f"127.0.0.1:{port}")
        payload = _shipped(collector.recv(65536))
    assert payload["request_id"] == "req-77" and payload["level"] == "WARNING"
    assert payload["message"] == "served /feeds/[redacted]"


def test_json_log_lines_are_shipped_over_tcp_one_line_each_even_if_the_collector_was_late(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as collector:
        collector.bind(("127.0.0.1", 0))
        port = collector.getsockname()[1]
        # Not listening yet: the board starts anyway, and says the record was not sent.
        _ship_one_record(f"tcp://127.0.0.1:{port}")
        assert "ConnectionRefusedError" in capsys.readouterr().err
        collector.listen(1)
        collector.settimeout(5)
        _ship_one_record(f"tcp://127.0.0.1:{port}")
        connection, _ = collector.accept()
        with connection:
            connection.settimeout(5)
            received = b""
            while not received.endswith(b"\n"):
                chunk = connection.recv(65536)
                assert chunk, "the connection closed before a whole line came"
                received += chunk
    assert received.count(b"\n") == 1
    payload = _shipped(received.rstrip(b"\n"))
    assert payload["request_id"] == "req-77"
    assert payload["message"] == "served /feeds/[redacted]"


def test_a_malformed_syslog_target_is_refused_by_name() -> None:
    from pydantic import ValidationError

    from app.config import Settings, syslog_target

    assert syslog_target("logs.example:514") == ("udp", "logs.example", 514)
    assert syslog_target("tcp://[::1]:6514") == ("tcp", "::1", 6514)
    for bad in ("logs.example", "http://logs.example:514", "logs.example:0", "tcp://:514"):
        with pytest.raises(ValidationError, match="JOINTOPS_LOG_SYSLOG"):
            Settings(log_syslog=bad)


def test_json_log_lines_are_shipped_over_tls_to_a_verified_collector_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # ASVS 5.0 16.4.3 "securely transmitted": tls:// encrypts, and a collector whose
    # certificate the configured CA did not sign receives nothing.
    import shutil
    import socket
    import ssl
    import subprocess
    import threading

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the collector's certificate")
    cert, key = tmp_path / "collector.crt", tmp_path / "collector.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    received: list[bytes] = []

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as collector:
        collector.bind(("127.0.0.1", 0))
        collector.listen(4)
        port = collector.getsockname()[1]

        def serve() -> None:
            """Each connection in turn: the line it sent, or b"" if its TLS failed."""
            while True:
                try:
                    connection, _ = collector.accept()
                except OSError:
                    return  # the test closed the collector
                try:
                    with server_tls.wrap_socket(connection, server_side=True) as tls:
                        tls.settimeout(10)
                        data = b""
                        while not data.endswith(b"\n"):
                            chunk = tls.recv(65536)
                            if not chunk:
                                break
                            data += chunk
                        received.append(data)
                except OSError:  # ssl.SSLError included: the board refused the handshake
                    received.append(b"")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        # Not trusted (the system's CAs did not sign it): nothing is sent.
        get_settings.cache_clear()
        _ship_one_record(f"tls://127.0.0.1:{port}")
        err = capsys.readouterr().err
        assert "CERTIFICATE_VERIFY_FAILED" in err, err
        # Two handshakes refused: at start-up, and again for the record.
        deadline = time.monotonic() + 10
        while len(received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert received == [b"", b""]
        refused = len(received)
        # Trusted through JOINTOPS_LOG_SYSLOG_CAFILE: the line arrives.
        monkeypatch.setenv("JOINTOPS_LOG_SYSLOG_CAFILE", str(cert))
        get_settings.cache_clear()
        try:
            _ship_one_record(f"tls://127.0.0.1:{port}")
        finally:
            get_settings.cache_clear()
        deadline = time.monotonic() + 10
        while len(received) == refused and time.monotonic() < deadline:
            time.sleep(0.05)
    payload = _shipped(received[refused].rstrip(b"\n"))
    assert payload["request_id"] == "req-77"
    assert payload["message"] == "served /feeds/[redacted]"
