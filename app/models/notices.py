"""In-app notices to officers (an order or an escort trip of their unit was amended or
cancelled) and the state of the email that may carry each one."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, enum_type, utcnow
from app.models.operations import TLP


class NoticeKind(StrEnum):
    amended = "amended"
    cancelled = "cancelled"
    # To a host country's liaison officers: a plan would send foreign units into their
    # sites, and it is published only once they confirm them (app.planning.consent).
    confirm_units = "confirm_units"
    # To the planner who asked the hosts (else the administrators): a host confirmed or
    # declined the foreign units, so the plan may now be published, or must change.
    units_decided = "units_decided"


class MailStatus(StrEnum):
    # No email for this notice: SMTP was not configured, or the officer has no address.
    none = "none"
    pending = "pending"
    sent = "sent"
    # Given up after the retries; the in-app notice is the record and stays.
    failed = "failed"


class Notice(SQLModel, table=True):
    """One notice to one user. The in-app row is the record; the email only points to it."""

    __tablename__ = "notices"
    __table_args__ = (
        # The navigation's unread badge: one count over this index on every page.
        sa.Index("ix_notices_user_unread", "user_id", "read_at"),
        # The sender's scan for emails that are due.
        sa.Index("ix_notices_mail_due", "mail_status", "mail_next_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                            nullable=False)
    )
    # None for a notice about an escort trip of a hand-over plan (it has no operation).
    operation_id: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.String(32), sa.ForeignKey("operations.id", ondelete="CASCADE"),
                            nullable=True, index=True)
    )
    # The unit whose order it is (no foreign key: a unit removed later keeps its notices).
    unit_id: str = Field(max_length=32)
    kind: NoticeKind = Field(sa_type=enum_type(NoticeKind, "notice_kind"))
    title: str = Field(max_length=300)
    body: str = Field(default="", max_length=4000)
    # The operation's TLP when the notice was written: what an email may say depends on it.
    tlp: TLP = Field(sa_type=enum_type(TLP, "tlp"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    mail_status: MailStatus = Field(
        default=MailStatus.none, sa_type=enum_type(MailStatus, "mail_status")
    )
    mail_attempts: int = 0
    # When the email is next due (a retry waits); a sender's claim moves it on too.
    mail_next_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    mail_error: str | None = Field(default=None, max_length=500)
