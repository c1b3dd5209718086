"""End-to-end fixtures: the real board under uvicorn on a fresh database, and Chromium.

The server runs in its own process, migrated with `alembic upgrade head` and filled with
a small dedicated world (the real Lancang-Mekong geography, a handful of units, one user
per role the story needs). Every test here is marked `browser`; a missing Chromium is a
failure with a message, never a skip: CI installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import ROOT

CHROMIUM = os.environ.get("JOINTOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "e2e-story-password"
GEOGRAPHY = ROOT / "app" / "seed_data" / "geography.json"
STARTUP_SECONDS = 40
# Playwright waits at most this long for one step; a failing test stops quickly.
STEP_TIMEOUT_MS = 15_000

# username -> (role, agency, unit)
USERS: dict[str, tuple[str, str | None, str | None]] = {
    "th-liaison": ("liaison", "TH-RTP", None),
    # Approval is a second person's check: another Thai liaison consents for Thailand.
    "th-liaison-2": ("liaison", "TH-RTP", None),
    "mm-liaison": ("liaison", "MM-MPF", None),
    "planner": ("planner", "TH-RTP", None),
    # Accepts a mutual-support offer for Myanmar, the receiving country (test_capacity.py).
    "mm-planner": ("planner", "MM-MPF", None),
    "k9-officer": ("unit_officer", "TH-RTP", "U-TH-K9"),
    "vn-liaison": ("liaison", "VN-MPS", None),
    # The administration pages are checked with axe-core (test_accessibility.py).
    "admin": ("admin", None, None),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder drives a real browser."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    """The running board: its base URL, database URL and when its world starts."""

    url: str
    database_url: str
    day0: datetime
    log: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def story_world(day0: datetime) -> dict[str, Any]:
    """A jointops-scenario/1 document: real geography, six units, no operations."""
    geo = json.loads(GEOGRAPHY.read_text(encoding="utf-8"))
    units = [
        # One eligible unit per requirement of the story, so the plan is predictable:
        # a Thai tactical team at Mae Sai, a Myanmar tactical team in Tachileik and a
        # Thai dog team that crosses the Mae Sai - Tachileik bridge (foreign support).
        ("U-TH-TAC", "TH-RTP", "RTP-Tactical-1", ["tactical"], 12, "TH-MSI"),
        ("U-MM-TAC", "MM-MPF", "MPF-Tactical-1", ["tactical"], 10, "MM-TAC"),
        ("U-TH-K9", "TH-RTP", "RTP-K9-1", ["k9"], 4, "TH-MSI"),
        ("U-LA-INV", "LA-MPS", "MPS-Investigation-1", ["investigation"], 8, "LA-VTE"),
        ("U-VN-CYB", "VN-MPS", "MPS-Cyber-1", ["cyber"], 6, "VN-HAN"),
        # Escorts detained foreign nationals to their hand-over (test_repatriation.py).
        ("U-TH-ESC", "TH-RTP", "RTP-Escort-1", ["escort"], 6, "TH-MSI"),
    ]
    return {
        "format": "jointops-scenario/1",
        "name": "JointOps end-to-end story",
        "horizon": {
            "start": day0.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (day0 + timedelta(days=21)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "slot_minutes": 15,
        **{
            key: geo[key]
            for key in ("countries", "regions", "roads", "crossings", "agreements", "agencies")
        },
        "units": [
            {"id": uid, "agency": agency, "callsign": callsign, "capabilities": caps,
             "personnel": people, "base": base}
            for uid, agency, callsign, caps, people, base in units
        ],
        "operations": [],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(database_url: str, day0: datetime) -> None:
    """Import the story world and add its users (in this process, through the import)."""
    from sqlmodel import Session

    from app.accounts.service import hash_password
    from app.db import make_engine
    from app.models import Role, User, UserCreate
    from app.transfer.service import import_scenario

    engine = make_engine(database_url)
    # argon2id is slow on purpose: every story user shares one password, hashed once.
    hashed = hash_password(PASSWORD)
    try:
        with Session(engine) as session:
            import_scenario(session, data=story_world(day0))
            for username, (role, agency, unit) in USERS.items():
                user_in = UserCreate(username=username, role=Role(role), agency_id=agency,
                                     unit_id=unit, password=PASSWORD,
                                     full_name=username.replace("-", " ").title())
                session.add(User.model_validate(user_in, update={"password_hash": hashed}))
            session.commit()
    finally:
        engine.dispose()


def _migrate(database_url: str) -> None:
    """`alembic upgrade head` on the fresh file (in this process: no second interpreter)."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url)
    try:
        command.upgrade(config, "head")
    except Exception as exc:  # noqa: BLE001 - any failure here is a setup failure
        pytest.fail(f"alembic upgrade head failed: {exc!r}", pytrace=False)


def _wait_until_up(server: LiveServer, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"The board server exited ({proc.returncode}):\n{server.log_tail()}")
        try:
            if httpx.get(server.url + "/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"The board server did not answer within {STARTUP_SECONDS} s:\n"
                f"{server.log_tail()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The board under uvicorn on 127.0.0.1, on a fresh migrated and seeded SQLite file."""
    tmp = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{tmp / 'board.db'}"
    env = {**os.environ, "JOINTOPS_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1",
           # As `make run`: the web server starts the solver worker as its child process.
           "JOINTOPS_SPAWN_WORKER": "true", "JOINTOPS_ENVIRONMENT": "dev"}
    for name in ("JOINTOPS_TEST_DATABASE_URL", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    _migrate(database_url)
    day0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    port = _free_port()
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, day0, tmp / "server.log")
    with server.log.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    server.processes.append(proc)
    try:
        # The server takes seconds to import; the world is written meanwhile.
        _seed(database_url, day0)
        _wait_until_up(server, proc)
        yield server
    finally:
        for process in reversed(server.processes):
            _stop(process)


# --- the browser --------------------------------------------------------------------------


# Package scope: Playwright's sync API keeps an event loop running in the main thread
# while it is open, and later tests that call asyncio.run() would fail after it.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (no downloaded browser)."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)) and not shutil.which(
        CHROMIUM
    ):
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need it "
            "(apt-get install chromium, or set JOINTOPS_CHROMIUM to its path)",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The playwright package is missing: pip install -e '.[dev]'", pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """`new_page(viewport=None)`: a page in a fresh browser context (its own cookies)."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or {"width": 1280, "height": 900}
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: _console_error(errors, page, msg))
        return page

    yield make
    for context in contexts:
        context.close()
    # A CSP violation or a script error is a bug even when the page looks right.
    assert not errors, "browser errors:\n" + "\n".join(errors)


def _console_error(errors: list[str], page: Any, msg: Any) -> None:
    # Chromium asks every site for /favicon.ico; the board has none, and needs none.
    url = msg.location.get("url", "")
    # A form posted with mistakes comes back as the page with a 422 (or a 409 for a
    # stale edit) on purpose; Chromium logs the status of that document as an error.
    expected = url == page.url and re.search(r"status of (422|409) ", msg.text)
    if msg.type == "error" and not url.endswith("/favicon.ico") and not expected:
        errors.append(f"{page.url}: {msg.text} ({msg.location.get('url', '')})")


def save_screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save what the page shows as `name`.png: into JOINTOPS_SCREENSHOT_DIR when set (`make
    screenshots` sets it to docs/screenshots, the README's images), else into /tmp."""
    folder = Path(os.environ.get("JOINTOPS_SCREENSHOT_DIR") or "/tmp/jointops-e2e")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000, f"{path} is nearly empty"
    return path


def login(page: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (as a user would) and wait for the start page."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
