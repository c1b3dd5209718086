"""Uploads scanned by a real ClamAV clamd (Debian's clamav-daemon), not the fake of
test_antivirus.py: the bytes the board sends with INSTREAM must be what a real daemon
reads, its replies what app/antivirus.py parses, and a stopped daemon must refuse uploads.

There is no network for freshclam here (nor in CI), so clamd loads one signature of ours:
a body signature for the EICAR test string, found anywhere in a stream. clamd names an
unofficial signature with the suffix ".UNOFFICIAL", so a refusal naming it proves that
the real daemon, with this database, did the scanning. Skipped when clamd is not
installed; .ci/run installs clamav-daemon so that CI runs these.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fake_clamd import EICAR
from sample_data import SMALL
from sqlmodel import Session, func, select

from app import antivirus
from app.campaigns import intel
from app.config import get_settings
from app.models import Operation, Role
from app.transfer.views import MAX_UPLOAD_BYTES

from .story import Story
from .test_intel import _client, _note

# Debian installs the daemon in /usr/sbin, which is not on every user's PATH.
CLAMD = shutil.which("clamd", path=os.pathsep.join(
    [os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"]))
pytestmark = pytest.mark.skipif(
    CLAMD is None, reason="clamd is not installed (apt-get install clamav-daemon; .ci/run"
                          " installs it)")

SIGNATURE = "JointOps.Test.EICAR"
REPORTED = f"{SIGNATURE}.UNOFFICIAL"  # how clamd names a signature not from ClamAV
REFUSED = f"A virus scanner found {REPORTED} in the file: it was not saved."
UNREACHABLE = "The virus scanner cannot be reached, so the file was not saved"
START_SECONDS = 60.0


@dataclass
class Clamd:
    process: subprocess.Popen[bytes]
    tcp: str  # "127.0.0.1:port", as JOINTOPS_CLAMD is written
    unix: str  # its LocalSocket
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pong(address: str) -> bool:
    try:
        with antivirus._connect(address, 2.0) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(16) == b"PONG\0"
    except OSError:
        return False


@contextlib.contextmanager
def running_clamd(workdir: Path) -> Iterator[Clamd]:
    """clamd in the foreground, as the current user, on a free 127.0.0.1 port and a unix
    socket, with our one signature; yields once it answers PING, stops it afterwards."""
    database = workdir / "db"
    database.mkdir()
    # A body signature (.ndb): name, any file type, any offset, the bytes in hex.
    (database / "jointops-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    port = _free_port()
    unix = workdir / "clamd.sock"
    log = workdir / "clamd.log"
    config = workdir / "clamd.conf"
    config.write_text("\n".join([
        "Foreground yes",
        f"TCPSocket {port}",
        "TCPAddr 127.0.0.1",
        f"LocalSocket {unix}",
        f"DatabaseDirectory {database}",
        f"LogFile {log}",
        f"PidFile {workdir / 'clamd.pid'}",
        # Debian's clamd.conf value (upstream's default is 100M): the largest upload
        # (20 MiB imports) must fit below it.
        "StreamMaxLength 25M",
    ]) + "\n")
    # Under `make test-dates` libfaketime is preloaded; the daemon keeps the real date.
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    assert CLAMD is not None
    with (workdir / "clamd.out").open("wb") as out:
        process = subprocess.Popen([CLAMD, "-c", str(config)], stdout=out,
                                   stderr=subprocess.STDOUT, env=env)
    daemon = Clamd(process, f"127.0.0.1:{port}", str(unix), log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (_pong(daemon.tcp) and _pong(daemon.unix)):
            if process.poll() is not None or time.monotonic() > deadline:
                output = (workdir / "clamd.out").read_text(errors="replace")
                pytest.fail(f"clamd did not start (exit {process.poll()}):\n{output[-2000:]}")
            time.sleep(0.1)
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="module")
def real_clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    with running_clamd(tmp_path_factory.mktemp("clamd")) as daemon:
        yield daemon


@pytest.fixture
def scanning(real_clamd: Clamd, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clamd]:
    """JOINTOPS_CLAMD set to the real daemon for one test."""
    monkeypatch.setenv("JOINTOPS_CLAMD", real_clamd.tcp)
    get_settings.cache_clear()
    yield real_clamd
    get_settings.cache_clear()


def test_real_clamd_passes_clean_bytes_and_names_the_test_string(scanning: Clamd) -> None:
    antivirus.check(b"%PDF-1.7 ledger", what="a test")  # clean: no exception
    with pytest.raises(antivirus.Infected) as found:
        antivirus.check(EICAR, what="a test")
    assert found.value.signature == REPORTED
    # Split across INSTREAM chunks: clamd scans the stream whole, not chunk by chunk.
    straddling = b"A" * (antivirus.CHUNK - 20) + EICAR + b"B" * 100
    with pytest.raises(antivirus.Infected):
        antivirus.check(straddling, what="a test")
    # The same daemon over its unix socket (JOINTOPS_CLAMD as an absolute path).
    assert antivirus.instream(scanning.unix, EICAR, timeout=10) == f"stream: {REPORTED} FOUND"
    assert antivirus.instream(scanning.unix, b"clean", timeout=10) == "stream: OK"


def test_the_largest_import_fits_clamds_stream_limit_and_a_larger_stream_fails_closed(
    scanning: Clamd,
) -> None:
    antivirus.check(b"\0" * MAX_UPLOAD_BYTES, what="the largest import")
    # Past StreamMaxLength (25 MiB) clamd stops reading and answers an error: never OK.
    with pytest.raises(antivirus.ScannerUnavailable):
        antivirus.check(b"\0" * (25 * 1024 * 1024 + 1), what="a too large stream")


def test_real_clamd_refuses_an_infected_attachment_and_nothing_is_saved(
    client: Any, login: Any, session: Session, story: Story, scanning: Clamd
) -> None:
    note = _note(session, story)
    a = _client(client, login, story, "A", Role.liaison)
    url = f"/intel/{note.id}/attachments"
    memo = b"Ledger of the Friday cash run.\n" + EICAR + b"\n"  # the string inside a file
    infected = a.post(url, files={"file": ("memo.txt", memo, "text/plain")})
    assert infected.status_code == 422
    assert REFUSED in infected.text
    assert intel.attachments_of(session, note.id or 0) == []
    clean = a.post(url, files={"file": ("ledger.pdf", b"%PDF-1.7 ledger", "application/pdf")},
                   follow_redirects=False)
    assert clean.status_code == 303
    assert [row[1] for row in intel.attachments_of(session, note.id or 0)] == ["ledger.pdf"]


def test_real_clamd_refuses_an_infected_import_and_nothing_is_imported(
    client: Any, login: Any, session: Session, make_user: Any, scanning: Clamd
) -> None:
    admin = login(client, make_user(session, role=Role.admin))
    data = SMALL.read_bytes()
    # A real scenario with the test string after it: the scan refuses it, naming the
    # signature, before the scenario is parsed (a parse error would not name it).
    infected = data + b"\n" + EICAR
    response = admin.post("/admin/import",
                          files={"file": ("s.json", infected, "application/json")})
    assert response.status_code == 422
    assert REFUSED in response.text
    assert session.exec(select(func.count()).select_from(Operation)).one() == 0
    ok = admin.post("/admin/import", files={"file": ("s.json", data, "application/json")})
    assert ok.status_code == 200
    assert session.exec(select(func.count()).select_from(Operation)).one() > 0


def test_a_stopped_clamd_refuses_uploads(
    client: Any, login: Any, session: Session, story: Story, make_user: Any,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    note = _note(session, story)
    a = _client(client, login, story, "A", Role.liaison)
    url = f"/intel/{note.id}/attachments"
    pdf = {"file": ("ledger.pdf", b"%PDF-1.7 ledger", "application/pdf")}
    with running_clamd(tmp_path) as daemon:  # its own daemon: the module's one stays up
        monkeypatch.setenv("JOINTOPS_CLAMD", daemon.tcp)
        get_settings.cache_clear()
        try:
            assert a.post(url, files=pdf, follow_redirects=False).status_code == 303
            daemon.stop()
            assert not _pong(daemon.tcp)
            refused = a.post(url, files=pdf)
            assert refused.status_code == 503
            assert UNREACHABLE in refused.text
            assert len(intel.attachments_of(session, note.id or 0)) == 1  # the first only
            admin = login(client, make_user(session, role=Role.admin))
            operations = session.exec(select(func.count()).select_from(Operation)).one()
            response = admin.post("/admin/import", files={
                "file": ("s.json", SMALL.read_bytes(), "application/json")})
            assert response.status_code == 503
            assert UNREACHABLE in response.text
            assert session.exec(select(func.count()).select_from(Operation)).one() \
                == operations
        finally:
            get_settings.cache_clear()
