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
from app.config import ROOT, get_settings
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


# The compose stack's clamd (deploy/clamav/clamd.conf): a unix socket only, shared with the
# board through a volume in group 3310 (docker-compose.yml, ASVS 5.0 12.3.1).
COMPOSE_CONF = ROOT / "deploy" / "clamav" / "clamd.conf"
SOCKET_GROUP = 3310
CLAMAV_UID = 100  # the clamav user of the clamav/clamav image
BOARD_UID = 10001  # the jointops user of ./Dockerfile
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv") is not None


def _compose_settings() -> tuple[dict[str, str], str]:
    """deploy/clamav/clamd.conf as {option: value}, and the command of the clamd-socket
    service that prepares the socket's directory."""
    import yaml

    options = {}
    for line in COMPOSE_CONF.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.strip().partition(" ")
            options[name] = value.strip()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prepare = compose["services"]["clamd-socket"]["entrypoint"][-1]
    return options, prepare


def _listening_tcp_sockets(pid: int) -> list[str]:
    """The TCP sockets in LISTEN state (state 0A in /proc/net/tcp*) that process `pid`
    holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    listening = []
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:
                listening.append(f"{table} {fields[1]}")
    return listening


@contextlib.contextmanager
def compose_clamd() -> Iterator[tuple[Clamd, Path]]:
    """clamd with the compose stack's clamd.conf (only its paths moved to a scratch
    directory), its socket directory prepared by the clamd-socket service's own command;
    as root it runs as the image's clamav user in group 3310, as the stack runs it."""
    import tempfile

    options, prepare = _compose_settings()
    socket_dir = Path(options["LocalSocket"]).parent
    # Readable by the clamav and board users (pytest's tmp_path is private to its user).
    workdir = Path(tempfile.mkdtemp(prefix="jointops-clamd-"))
    try:
        workdir.chmod(0o755)
        database = workdir / "db"
        database.mkdir(mode=0o755)
        (database / "jointops-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
        (database / "jointops-test.ndb").chmod(0o644)
        sockets = workdir / "run-clamd"
        sockets.mkdir()
        unix = sockets / Path(options["LocalSocket"]).name
        lines = [f"{name} {value}" for name, value in options.items()
                 if name not in ("LocalSocket", "DatabaseDirectory")]
        config = workdir / "clamd.conf"
        config.write_text("\n".join([*lines, "Foreground yes", f"LocalSocket {unix}",
                                     f"DatabaseDirectory {database}"]) + "\n")
        config.chmod(0o644)
        command = [CLAMD or "clamd", "-c", str(config)]
        if AS_ROOT:
            subprocess.run(["sh", "-c", prepare.replace(str(socket_dir), str(sockets))],
                           check=True)
            command = ["setpriv", f"--reuid={CLAMAV_UID}", f"--regid={CLAMAV_UID}",
                       f"--groups={SOCKET_GROUP}", *command]
        env = {k: v for k, v in os.environ.items()
               if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
        with (workdir / "clamd.out").open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        daemon = Clamd(process, "", f"unix://{unix}", workdir / "clamd.out")
        try:
            deadline = time.monotonic() + START_SECONDS
            while not _pong(daemon.unix):
                if process.poll() is not None or time.monotonic() > deadline:
                    output = daemon.log.read_text(errors="replace")
                    pytest.fail(f"clamd did not start (exit {process.poll()}):\n"
                                f"{output[-2000:]}")
                time.sleep(0.1)
            yield daemon, workdir
        finally:
            daemon.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_clamd_as_the_compose_stack_runs_it_scans_uploads_over_its_unix_socket_only(
    client: Any, login: Any, session: Session, story: Story, monkeypatch: pytest.MonkeyPatch,
) -> None:
    options, _ = _compose_settings()
    assert "TCPSocket" not in options and "TCPAddr" not in options
    note = _note(session, story)
    a = _client(client, login, story, "A", Role.liaison)
    url = f"/intel/{note.id}/attachments"
    with compose_clamd() as (daemon, _):
        # No network listener at all: the daemon holds no listening TCP socket.
        assert _listening_tcp_sockets(daemon.process.pid) == []
        assert daemon.unix.startswith("unix:///")
        monkeypatch.setenv("JOINTOPS_CLAMD", daemon.unix)
        get_settings.cache_clear()
        try:
            clean = a.post(url, files={"file": ("ledger.pdf", b"%PDF-1.7 ledger",
                                                "application/pdf")}, follow_redirects=False)
            assert clean.status_code == 303
            memo = b"Ledger of the Friday cash run.\n" + EICAR + b"\n"
            infected = a.post(url, files={"file": ("memo.txt", memo, "text/plain")})
            assert infected.status_code == 422
            assert REFUSED in infected.text
            assert [row[1] for row in intel.attachments_of(session, note.id or 0)] \
                == ["ledger.pdf"]
        finally:
            get_settings.cache_clear()


PROBE = """
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    sock.connect(sys.argv[1])
    sock.sendall(b"zPING\\0")
    print(sock.recv(16).decode().strip("\\0"))
except OSError as exc:
    print(type(exc).__name__)
"""


@pytest.mark.skipif(not AS_ROOT, reason="needs root and setpriv to run clamd and the probe"
                                        " as other users, as the compose stack does")
def test_only_the_socket_group_may_open_the_compose_stacks_clamd_socket() -> None:
    python = shutil.which("python3", path="/usr/bin:/bin") or "python3"
    with compose_clamd() as (daemon, workdir):
        path = daemon.unix.removeprefix("unix://")
        assert oct(Path(path).parent.stat().st_mode & 0o7777) == "0o2770"
        assert Path(path).stat().st_gid == SOCKET_GROUP
        assert oct(Path(path).stat().st_mode & 0o777) == "0o660"

        def probe(*groups: str) -> str:
            result = subprocess.run(
                ["setpriv", f"--reuid={BOARD_UID}", f"--regid={BOARD_UID}", *groups,
                 python, "-c", PROBE, path],
                capture_output=True, text=True, timeout=30, check=True, cwd=workdir)
            return result.stdout.strip()

        assert probe(f"--groups={SOCKET_GROUP}") == "PONG"  # web and worker: group_add
        assert probe("--clear-groups") == "PermissionError"  # any other user
