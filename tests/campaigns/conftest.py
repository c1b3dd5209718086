"""Fixtures of the campaign tests (see story.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from .story import NOW, Story, build_story


@pytest.fixture
def story(session: Session, world: Any, make_user: Any, make_operation: Any,
          set_clock: Any) -> Story:
    set_clock(NOW)
    return build_story(session, make_user, make_operation)
