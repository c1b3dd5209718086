"""Issue 11, amendment notices by email: sent after the commit to a real SMTP server
(aiosmtpd on localhost), one per officer, never more than the in-app notice says, and
only a pointer for TLP:AMBER and above. The notice survives a mail server that is down."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from app.config import Settings, get_settings
from app.models import TLP, MailStatus, Notice, NoticeKind, Operation, User
from app.notices import outbox
from app.notices import service as notices
from app.notices.outbox import kick as wake_the_sender

from .test_notices import crew, edit, notices_of, scheduled  # noqa: F401  (fixture)


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, smtp_session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, Settings]]:
    """A real SMTP server on localhost, and the board's settings pointing at it."""
    inbox = Inbox()
    port = _free_port()
    # The environment first, the server's thread after: setenv while another thread reads
    # the clock crashed the process under faketime (libfaketime reads the environment).
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                        "SMTP_SECURITY": "none", "SMTP_FROM": "board@jointops.test",
                        "PUBLIC_URL": "https://board.jointops.test"}.items():
        monkeypatch.setenv(f"JOINTOPS_{name}", value)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    get_settings.cache_clear()
    # The test drives the sender itself, on its own session: record the kicks instead.
    kicks: list[int] = []
    monkeypatch.setattr(outbox, "kick", lambda *a, **k: kicks.append(1))
    try:
        yield inbox, get_settings()
    finally:
        controller.stop()
        get_settings.cache_clear()


@pytest.fixture
def addressed(session: Session, crew: dict[str, User]) -> dict[str, User]:  # noqa: F811
    crew["officer"].email = "a@rtp.test"
    crew["officer2"].email = "b@rtp.test"
    crew["other"].email = "c@rtp.test"
    session.flush()
    return crew


def _texts(inbox: Inbox) -> dict[str, Message]:
    return {to[0]: message for to, message in inbox.messages}


def test_an_amendment_of_a_green_operation_mails_each_officer_what_changed(
    session: Session, make_operation: Any, addressed: dict[str, User],
    smtp: tuple[Inbox, Settings], monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, settings = smtp
    kicks: list[str] = []
    monkeypatch.setattr(outbox, "kick", lambda *a, **k: kicks.append("kick"))
    op = scheduled(session, make_operation, tlp=TLP.GREEN, code_name="Green Reed")
    edit(session, op, addressed["liaison"], description="Meet at the north gate")
    assert kicks == []  # nothing leaves inside the transaction
    assert inbox.messages == []
    session.commit()
    assert kicks == ["kick"]  # the sender is woken once the notices are committed

    counts = outbox.deliver_due(session, settings=settings)
    assert counts == {"sent": 2, "retried": 0, "failed": 0, "skipped": 0}
    mails = _texts(inbox)
    assert sorted(mails) == ["a@rtp.test", "b@rtp.test"]
    mail = mails["a@rtp.test"]
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    (notice,) = notices_of(session, addressed["officer"])
    assert "Green Reed" in mail["Subject"] and "TLP:GREEN" in mail["Subject"]
    assert notice.title in body and notice.body in body and "description" in body
    assert "https://board.jointops.test/notices" in body
    # No more than the officer reads in the app: no description text, no H-hour, no site.
    assert "north gate" not in body and "MM-TAC" not in body
    assert notice.mail_status == MailStatus.sent and notice.mail_attempts == 1
    assert outbox.deliver_due(session, settings=settings)["sent"] == 0  # sent once only


@pytest.mark.parametrize("tlp", [TLP.AMBER, TLP.RED])
def test_amber_and_red_operations_mail_only_a_pointer_to_the_board(
    session: Session, make_operation: Any, addressed: dict[str, User],
    smtp: tuple[Inbox, Settings], tlp: TLP,
) -> None:
    inbox, settings = smtp
    op = scheduled(session, make_operation, tlp=tlp, code_name="Quiet Teak")
    edit(session, op, addressed["liaison"], description="Changed")
    session.commit()
    assert outbox.deliver_due(session, settings=settings)["sent"] == 2
    for _, mail in inbox.messages:
        raw = mail.as_string()
        assert mail["Subject"] == "JointOps: you have a new notice"
        assert "Quiet Teak" not in raw and "OP-LIVE" not in raw and "RTP-2" not in raw
        assert "description" not in raw and "TLP" not in raw
        assert "https://board.jointops.test/notices" in raw


def test_a_mail_server_that_is_down_keeps_the_notice_retries_then_marks_it_failed(
    session: Session, make_operation: Any, addressed: dict[str, User],
    smtp: tuple[Inbox, Settings],
) -> None:
    inbox, settings = smtp
    op = scheduled(session, make_operation, tlp=TLP.GREEN)
    edit(session, op, addressed["liaison"], description="Changed")
    session.commit()
    down = settings.model_copy(update={"smtp_port": _free_port()})  # nobody listens there
    (notice,) = notices_of(session, addressed["officer"])
    now = notice.created_at
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        counts = outbox.deliver_due(session, settings=down, now=now)
        assert counts["sent"] == 0 and counts["retried"] + counts["failed"] == 2
        (notice,) = notices_of(session, addressed["officer"])
        assert notice.mail_attempts == attempt and notice.mail_error
        assert notice.read_at is None  # the in-app notice is untouched
        if attempt < outbox.MAX_ATTEMPTS:
            assert notice.mail_status == MailStatus.pending
            # Not before its back-off has passed.
            assert outbox.deliver_due(session, settings=down, now=now)["retried"] == 0
            now = notice.mail_next_at or now
    assert notice.mail_status == MailStatus.failed and notice.mail_next_at is None
    assert outbox.deliver_due(session, settings=settings, now=now + timedelta(days=1)) == {
        "sent": 0, "retried": 0, "failed": 0, "skipped": 0}
    assert inbox.messages == []


def test_a_retry_reaches_the_server_once_it_is_back(
    session: Session, make_operation: Any, addressed: dict[str, User],
    smtp: tuple[Inbox, Settings],
) -> None:
    inbox, settings = smtp
    op = scheduled(session, make_operation, tlp=TLP.CLEAR)
    edit(session, op, addressed["liaison"], description="Changed")
    session.commit()
    down = settings.model_copy(update={"smtp_port": _free_port()})
    (notice,) = notices_of(session, addressed["officer"])
    outbox.deliver_due(session, settings=down, now=notice.created_at)
    (notice,) = notices_of(session, addressed["officer"])
    assert notice.mail_next_at is not None
    assert outbox.deliver_due(session, settings=settings, now=notice.mail_next_at)["sent"] == 2
    assert len(inbox.messages) == 2
    (notice,) = notices_of(session, addressed["officer"])
    assert notice.mail_status == MailStatus.sent and notice.mail_error is None


def test_without_smtp_no_email_is_queued(
    session: Session, make_operation: Any, addressed: dict[str, User]
) -> None:
    get_settings.cache_clear()
    assert get_settings().smtp_host is None
    op = scheduled(session, make_operation)
    edit(session, op, addressed["liaison"], description="Changed")
    (notice,) = notices_of(session, addressed["officer"])
    assert notice.mail_status == MailStatus.none
    assert session.info.get(notices.MAIL_WAITING) is None
    assert session.exec(select(Operation)).first() is not None


def test_the_background_sender_mails_what_was_committed(
    migration_engine: Engine, smtp: tuple[Inbox, Settings], make_user: Any,
    make_operation: Any,
) -> None:
    """The real thread, on a database of its own: it sees only committed notices."""
    from conftest import _build_world

    inbox, _ = smtp
    SQLModel.metadata.create_all(migration_engine)
    with Session(migration_engine) as session:
        _build_world(session)
        officer = make_user(session, "unit_officer", "TH-RTP", "U-TH-2")
        officer.email = "a@rtp.test"
        op = make_operation(session, "TH-RTP", tlp=TLP.GREEN, code_name="Green Reed")
        session.add(Notice(user_id=officer.id or 0, operation_id=op.id, unit_id="U-TH-2",
                           kind=NoticeKind.amended, title="Green Reed: the order of RTP-2 "
                           "was amended", body="description", tlp=TLP.GREEN,
                           mail_status=MailStatus.pending))
        session.commit()
    wake_the_sender(lambda: Session(migration_engine))
    deadline = time.monotonic() + 20
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [to for to, _ in inbox.messages] == [["a@rtp.test"]]
    assert "Green Reed" in inbox.messages[0][1]["Subject"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with Session(migration_engine) as session:
            if session.exec(select(Notice)).one().mail_status == MailStatus.sent:
                break
        time.sleep(0.1)
    with Session(migration_engine) as session:
        assert session.exec(select(Notice)).one().mail_status == MailStatus.sent


def test_a_line_break_in_a_title_cannot_add_a_mail_header() -> None:
    # ASVS 5.0 1.3.11: the title comes from an operation's name, typed by a user.
    settings = Settings(smtp_host="localhost", smtp_from="board@example.org")
    for smuggled in ("Raid\r\nBcc: spy@example.org", "Raid\nBcc: spy@example.org",
                     "Raid\u2028Bcc: spy@example.org", "Raid\x85Bcc: spy@example.org"):
        notice = Notice(user_id=1, operation_id="OP-1", unit_id="U-1",
                        kind=list(NoticeKind)[0], title=smuggled, body="", tlp=TLP.GREEN)
        message = outbox.compose(notice, to="officer@example.org", settings=settings)
        parsed = message_from_bytes(message.as_bytes())
        assert parsed["Bcc"] is None and parsed.get_all("Subject") == [
            "JointOps [TLP:GREEN] Raid Bcc: spy@example.org"], repr(smuggled)
