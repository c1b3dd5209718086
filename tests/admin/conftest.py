"""Fixtures of the admin tests: a signed-in administrator over the small test world."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role, User


@pytest.fixture
def admin_user(session: Session, world, make_user) -> User:  # type: ignore[no-untyped-def]
    """An administrator (the world is built first)."""
    return make_user(session, role=Role.admin, username="root-admin")


@pytest.fixture
def admin(client: TestClient, admin_user: User, login) -> TestClient:  # type: ignore[no-untyped-def]
    """A client signed in as the administrator."""
    return login(client, admin_user)
