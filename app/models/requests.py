"""Requests answered once: the stored response of a create sent with an Idempotency-Key."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class IdempotentRequest(SQLModel, table=True):
    """A create's key, the request it came with, and the response it got.

    A retry with the same key and body gets this response again, not a second row.
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    key: str = Field(max_length=200)
    # "POST /api/v1/operations": one key answers one kind of request.
    scope: str = Field(max_length=200)
    body_hash: str = Field(max_length=64)
    status_code: int
    response: Any = Field(sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
