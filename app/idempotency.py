"""Idempotent creates: a retried POST with the same Idempotency-Key gets the first answer.

A client that lost the answer to a create (a dropped connection, a timeout) sends it
again with the same key: it gets the response the first one got, and no second row.
The same key with another body is a 422: the client mixed up its keys. Keys are per
user and kept for a day.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.errors import AppError
from app.models import IdempotentRequest, User, utcnow

KEEP = timedelta(days=1)
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200,
    description="Any unique string (a UUID): a retry with the same key and body gets the "
                "first response again instead of creating a second time (kept a day).")]


def _digest(body: Any) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _lock(session: Session, user_id: int, key: str) -> None:
    """Two retries arriving together: the second waits for the first's answer.

    SQLite: the write transaction serialises them already.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(f"{user_id}/{key}".encode()).digest()[:8],
                                "big", signed=True)
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({number})")


def replay(
    session: Session, *, user: User, key: str | None, scope: str, body: Any
) -> JSONResponse | None:
    """The stored response for this key, or None when the request is new."""
    if key is None:
        return None
    assert user.id is not None
    _lock(session, user.id, key)
    row = session.exec(select(IdempotentRequest).where(
        IdempotentRequest.user_id == user.id, IdempotentRequest.key == key)).first()
    if row is None:
        return None
    if row.scope != scope or row.body_hash != _digest(body):
        raise AppError(
            "This Idempotency-Key was already used for a different request; send a new key "
            "with a new request", 422,
            details=[{"path": "header.Idempotency-Key",
                      "message": f"already used with another body or for {row.scope}"}])
    return JSONResponse(row.response, status_code=row.status_code,
                        headers={"Idempotent-Replayed": "true"})


def remember(
    session: Session, *, user: User, key: str | None, scope: str, body: Any,
    status_code: int, response: BaseModel,
) -> None:
    """Store the response with the create, in its transaction (both or neither)."""
    if key is None:
        return
    assert user.id is not None
    session.execute(delete(IdempotentRequest).where(
        col(IdempotentRequest.created_at) < utcnow() - KEEP))
    session.add(IdempotentRequest(user_id=user.id, key=key, scope=scope,
                                  body_hash=_digest(body), status_code=status_code,
                                  response=response.model_dump(mode="json")))
    session.flush()
