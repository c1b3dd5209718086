"""What a request reads: the SQL statements it sends, for tests that a page leaves the
board-sized JSON columns unread."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import Session

# A run's time limit and seed read out of its parameters by the database (SQLite, then
# PostgreSQL): not a read of the whole parameters.
_ONE_PARAMETER = re.compile(r"JSON_EXTRACT\(solver_runs\.params|solver_runs\.params ->>")


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


def reads_whole_parameters(statement: str) -> bool:
    return "solver_runs.params" in _ONE_PARAMETER.sub("", statement)
