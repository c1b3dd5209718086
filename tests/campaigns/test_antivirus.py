"""Uploads scanned by ClamAV's clamd when JOINTOPS_CLAMD is set (ASVS 5.0 5.4.3): an
infected attachment or import is refused with a clear error and nothing is saved; an
unreachable scanner refuses too (fail closed). The scanner here is tests/fake_clamd.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_clamd import EICAR, FakeClamd, fake_clamd
from sample_data import SMALL
from sqlmodel import Session, func, select

from app import antivirus
from app.campaigns import intel
from app.config import get_settings
from app.models import Operation, Role

from .story import Story
from .test_intel import _client, _note


@pytest.fixture
def clamd(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClamd]:
    with fake_clamd() as server:
        monkeypatch.setenv("JOINTOPS_CLAMD", server.address)
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


def test_an_infected_attachment_is_refused_and_not_saved(
    client: Any, login: Any, session: Session, story: Story, clamd: FakeClamd
) -> None:
    note = _note(session, story)
    a = _client(client, login, story, "A", Role.liaison)
    url = f"/intel/{note.id}/attachments"
    infected = a.post(url, files={"file": ("eicar.txt", EICAR, "text/plain")})
    assert infected.status_code == 422
    assert "A virus scanner found Eicar-Signature in the file: it was not saved." \
        in infected.text
    assert intel.attachments_of(session, note.id or 0) == []
    clean = a.post(url, files={"file": ("ledger.pdf", b"%PDF-1.7 ledger", "application/pdf")},
                   follow_redirects=False)
    assert clean.status_code == 303
    assert [row[1] for row in intel.attachments_of(session, note.id or 0)] == ["ledger.pdf"]
    assert clamd.streams == [EICAR, b"%PDF-1.7 ledger"]  # every byte went to the scanner


def test_an_infected_import_is_refused_and_nothing_imported(
    client: Any, login: Any, session: Session, make_user: Any, clamd: FakeClamd
) -> None:
    admin = login(client, make_user(session, role=Role.admin))
    data = SMALL.read_bytes()
    # Scanned before it is parsed: the test file itself, named as a scenario.
    response = admin.post("/admin/import", files={"file": ("s.json", EICAR, "text/json")})
    assert response.status_code == 422
    assert "A virus scanner found Eicar-Signature in the file" in response.text
    assert session.exec(select(func.count()).select_from(Operation)).one() == 0
    ok = admin.post("/admin/import", files={"file": ("s.json", data, "application/json")})
    assert ok.status_code == 200
    assert session.exec(select(func.count()).select_from(Operation)).one() > 0
    assert len(clamd.streams) == 2 and clamd.streams[1] == data


def test_an_unreachable_scanner_refuses_the_upload(
    client: Any, login: Any, session: Session, story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nobody listens here
    monkeypatch.setenv("JOINTOPS_CLAMD", f"127.0.0.1:{port}")
    get_settings.cache_clear()
    try:
        note = _note(session, story)
        a = _client(client, login, story, "A", Role.liaison)
        refused = a.post(f"/intel/{note.id}/attachments",
                         files={"file": ("ledger.pdf", b"%PDF-1.7", "application/pdf")})
        assert refused.status_code == 503
        assert "The virus scanner cannot be reached" in refused.text
        assert intel.attachments_of(session, note.id or 0) == []
    finally:
        get_settings.cache_clear()


def test_instream_over_a_unix_socket_in_chunks(tmp_path: Path) -> None:
    big = b"A" * (antivirus.CHUNK * 2 + 7) + EICAR  # three chunks, the test string last
    with fake_clamd(str(tmp_path / "clamd.sock")) as server:
        assert antivirus.instream(server.address, big, timeout=5) \
            == "stream: Eicar-Signature FOUND"
        assert antivirus.instream(server.address, b"clean", timeout=5) == "stream: OK"
        assert server.streams == [big, b"clean"]


def test_scanning_is_off_unless_configured_and_a_bad_address_is_named() -> None:
    from pydantic import ValidationError

    from app.config import Settings

    assert Settings().clamd is None
    antivirus.check(EICAR, what="a test")  # not configured: nothing is scanned
    assert Settings(clamd="clamav:3310").clamd == "clamav:3310"
    assert Settings(clamd="/run/clamd.scan/clamd.sock").clamd
    assert Settings(clamd="unix:///run/clamd/clamd.sock").clamd
    for bad in ("clamav", "clamav:http", ":3310"):
        with pytest.raises(ValidationError, match="JOINTOPS_CLAMD"):
            Settings(clamd=bad)


def test_production_warns_when_uploads_are_not_scanned(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from app.main import _warn_without_virus_scanning

    monkeypatch.setenv("JOINTOPS_ENVIRONMENT", "production")
    monkeypatch.setenv("JOINTOPS_SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="app.antivirus"):
            _warn_without_virus_scanning()
            monkeypatch.setenv("JOINTOPS_CLAMD", "unix:///run/clamd/clamd.sock")
            get_settings.cache_clear()
            _warn_without_virus_scanning()
    finally:
        get_settings.cache_clear()
    assert [r.getMessage() for r in caplog.records] == [
        "JOINTOPS_CLAMD is not set: uploaded attachments and imports are not scanned"
        " for viruses"]


def test_the_compose_stack_scans_uploads_with_its_clamav_service() -> None:
    import posixpath

    import yaml

    from app.config import ROOT, Settings, clamd_target

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    clamav = services["clamav"]
    assert "clamav" in clamav["image"]
    # Over clamd's unix socket, shared through a volume (ASVS 5.0 12.3.1): no TCP, no port.
    conf = dict(line.split(" ", 1) for line in
                (ROOT / "deploy" / "clamav" / "clamd.conf").read_text().splitlines()
                if line.strip() and not line.startswith("#"))
    assert "TCPSocket" not in conf and "ports" not in clamav and "expose" not in clamav
    assert "./deploy/clamav/clamd.conf:/etc/clamav/clamd.conf:ro" in clamav["volumes"]
    mounts = {name: {volume.split(":")[1]: volume.split(":")
                     for volume in services[name].get("volumes", [])}
              for name in ("clamav", "web", "worker")}
    socket_dir, socket_name = posixpath.split(conf["LocalSocket"])
    volume = mounts["clamav"][socket_dir][0]
    group = clamav["group_add"]
    for name in ("web", "worker"):
        value = services[name]["environment"]["JOINTOPS_CLAMD"]
        kind, path, _ = clamd_target(value)
        assert kind == "unix" and posixpath.basename(path) == socket_name
        # The same volume, read-only: the board connects, it cannot replace the socket.
        assert mounts[name][posixpath.dirname(path)] == [volume, posixpath.dirname(path), "ro"]
        assert services[name]["group_add"] == group
        assert Settings(environment="production", secret_key="x" * 40, clamd=value)
    # The socket's directory: made group `group`, set-group-ID, before clamav starts.
    assert clamav["depends_on"]["clamd-socket"]["condition"] \
        == "service_completed_successfully"
    prepare = services["clamd-socket"]
    assert f"{volume}:{socket_dir}" in prepare["volumes"]
    assert prepare["entrypoint"][-1] == (f"chown 0:{group[0]} {socket_dir}"
                                         f" && chmod 2770 {socket_dir}")
    assert conf["LocalSocketMode"] == "660"
