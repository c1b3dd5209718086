"""What a request reads: the SQL statements it sends, for tests that a page leaves the
board-sized JSON columns unread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import Session


@contextmanager
def recorded_statements(session: Session) -> Iterator[list[str]]:
    """The statements sent on the session's engine while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads_parameters(statement: str) -> bool:
    """Whether the statement reads a run's parameters, even a part of them: the database
    then decodes them whole, every pinned operation's assignments included (the time
    limit and seed the pages show have columns of their own)."""
    return "solver_runs.params" in statement
