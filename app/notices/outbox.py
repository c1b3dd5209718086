"""Emails of notices: composed by TLP, sent after the commit by one background thread,
retried with back-off, and marked failed in the end. The in-app notice stays either way.

What an email may say: for TLP:CLEAR and TLP:GREEN it carries the notice as the officer
reads it on the board (code name, what changed), no more. For TLP:AMBER and TLP:RED it
says only that there is a new notice and where to read it: mailboxes, relays and phones'
lock screens are not places for an amber or red operation's name or times.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.config import Settings, get_settings
from app.i18n import DEFAULT, gettext, speaking
from app.models import TLP, MailStatus, Notice, NoticeKind, User, utcnow

log = logging.getLogger(__name__)

# Waits before the 2nd, 3rd, ... attempt; after the last the email is marked failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
           timedelta(hours=1))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A sender holds a claimed email this long; one that died meanwhile lets another retry.
CLAIM = timedelta(minutes=5)
BATCH = 100
# The background thread also looks for due retries this often when nothing wakes it.
IDLE_SECONDS = 60.0
DETAILED = frozenset({TLP.CLEAR, TLP.GREEN})


def compose(notice: Notice, *, to: str, settings: Settings,
            language: str | None = None) -> EmailMessage:
    """The email of one notice: its text for CLEAR/GREEN, a pointer only above; in the
    recipient's `language` (the notice itself was written in it, app.notices.service)."""
    with speaking(language or DEFAULT):
        return _compose(notice, to=to, settings=settings)


def _compose(notice: Notice, *, to: str, settings: Settings) -> EmailMessage:
    # A request to confirm foreign units is answered on the approvals page, a host's
    # decision acted on on the planning page; the others are read on the notices page.
    page = {NoticeKind.confirm_units: "/approvals",
            NoticeKind.units_decided: "/planning"}.get(notice.kind, "/notices")
    link = f"{settings.public_url.rstrip('/')}{page}" if settings.public_url else None
    where = (gettext("Open the board to read it: %(link)s") % {"link": link} if link
             else gettext("Open the board to read it."))
    message = EmailMessage()
    message["From"], message["To"] = settings.smtp_from, to
    if notice.tlp in DETAILED:
        # An operation's name is typed by users: line breaks (CR, LF, U+2028, U+0085 ...)
        # become spaces, so no header can be smuggled into the mail (ASVS 5.0 1.3.11).
        title = " ".join(notice.title.split())
        message["Subject"] = f"JointOps [TLP:{notice.tlp.value}] {title}"
        text = f"TLP:{notice.tlp.value}\n\n{notice.title}\n\n{notice.body}\n\n{where}\n"
    else:
        message["Subject"] = gettext("JointOps: you have a new notice")
        about = (gettext("You have a new notice on the JointOps board about foreign units "
                         "waiting for your country's confirmation.")
                 if notice.kind == NoticeKind.confirm_units else
                 gettext("You have a new notice on the JointOps board about a host "
                         "country's decision on foreign units.")
                 if notice.kind == NoticeKind.units_decided else
                 gettext("You have a new notice on the JointOps board about one of your "
                         "orders."))
        text = (about + f"\n{where}\n\n"
                + gettext("For security this email carries no details.") + "\n")
    message.set_content(text)
    return message


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port = settings.smtp_host or "", settings.smtp_port
    timeout = settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        smtp.login(settings.smtp_user, settings.smtp_password or "")
    return smtp


def _claim(session: Session, *, now: datetime
           ) -> list[tuple[Notice, str | None, str | None]]:
    """Take the due emails for this sender (a conditional update per row), committed."""
    due = session.exec(
        select(Notice.id).where(
            Notice.mail_status == MailStatus.pending,
            or_(col(Notice.mail_next_at).is_(None), col(Notice.mail_next_at) <= now))
        .order_by(col(Notice.id)).limit(BATCH)).all()
    claimed: list[int] = []
    for notice_id in due:
        result = session.execute(
            update(Notice).where(
                col(Notice.id) == notice_id, col(Notice.mail_status) == MailStatus.pending,
                or_(col(Notice.mail_next_at).is_(None), col(Notice.mail_next_at) <= now))
            .values(mail_next_at=now + CLAIM).execution_options(synchronize_session=False))
        if result.rowcount == 1 and notice_id is not None:  # type: ignore[attr-defined]
            claimed.append(notice_id)
    session.commit()
    if not claimed:
        return []
    # The recipient's email address, and language for the email's own words.
    rows = session.exec(select(Notice, User.email, User.language)
                        .join(User, col(User.id) == Notice.user_id)
                        .where(col(Notice.id).in_(claimed)).order_by(col(Notice.id))).all()
    return [(notice, email, language) for notice, email, language in rows]


def deliver_due(session: Session, *, settings: Settings | None = None,
                now: datetime | None = None) -> dict[str, int]:
    """Send the emails that are due; returns counts of sent, retried, failed and skipped.

    Reads and writes in short transactions of its own around the SMTP conversation, which
    happens outside any transaction.
    """
    settings = settings or get_settings()
    now = now or utcnow()
    counts = {"sent": 0, "retried": 0, "failed": 0, "skipped": 0}
    if not settings.smtp_host:
        return counts
    claimed = _claim(session, now=now)
    if not claimed:
        return counts
    errors: dict[int, str | None] = {}
    try:
        with _connect(settings) as smtp:
            for notice, email, language in claimed:
                assert notice.id is not None
                if not email:
                    continue
                try:
                    smtp.send_message(compose(notice, to=email, settings=settings,
                                              language=language))
                    errors[notice.id] = None
                except smtplib.SMTPException as exc:
                    errors[notice.id] = f"{type(exc).__name__}: {exc}"
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notice emails: the mail server failed: %s", exc)
        for notice, _, _ in claimed:
            assert notice.id is not None
            errors.setdefault(notice.id, f"{type(exc).__name__}: {exc}")
    for notice, email, _ in claimed:
        assert notice.id is not None
        if not email:
            notice.mail_status, notice.mail_next_at = MailStatus.none, None
            counts["skipped"] += 1
        elif errors.get(notice.id) is None and notice.id in errors:
            notice.mail_status, notice.mail_next_at, notice.mail_error = (
                MailStatus.sent, None, None)
            notice.mail_attempts += 1
            counts["sent"] += 1
        else:
            notice.mail_attempts += 1
            notice.mail_error = (errors.get(notice.id) or "not sent")[:500]
            if notice.mail_attempts >= MAX_ATTEMPTS:
                notice.mail_status, notice.mail_next_at = MailStatus.failed, None
                counts["failed"] += 1
            else:
                notice.mail_next_at = now + BACKOFF[notice.mail_attempts - 1]
                counts["retried"] += 1
        session.add(notice)
    session.commit()
    return counts


# --- the background sender ----------------------------------------------------------------

_wake = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def _default_session() -> Session:
    from app.db import get_engine

    return Session(get_engine())


def kick(session_factory: Callable[[], Session] = _default_session) -> None:
    """Wake the sender (started on first use): called after a commit that queued emails."""
    global _thread
    if not get_settings().smtp_host:
        return
    with _started:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, args=(session_factory,),
                                       name="notice-mail", daemon=True)
            _thread.start()
    _wake.set()


def _run(session_factory: Callable[[], Session]) -> None:
    while get_settings().smtp_host:  # ends once SMTP is switched off; kick starts another
        _wake.clear()
        try:
            with session_factory() as session:
                deliver_due(session)
        except Exception:
            # The notices are safe in the database: the next wake or poll tries again.
            log.exception("sending notice emails failed")
        _wake.wait(timeout=IDLE_SECONDS)
