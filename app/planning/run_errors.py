"""Why a run failed or was queued again, in the reader's language.

Workers and the reaper store a run's error as English text (solver_runs.error, also
read by the API and the logs, and by an older release). The pages read it back here into
message ids with their values, so a planner in Vientiane reads it in Lao. The reaper
writes a reason and what happened next, joined by "; ": each part is read back on its
own. Anything this table does not know is shown as it was stored.
"""

from __future__ import annotations

from app.i18n import N_, Joined, read_back

# The texts app/planning/worker.py, app/planning/service.py (the reaper) and
# app/repatriation/jobs.py store, with their values as %(name)s.
TEXTS = (
    N_("the solver failed: %(detail)s"),
    N_("the run's scenario cannot be solved: %(detail)s"),
    N_("the run's problem cannot be solved: %(detail)s"),
    N_("the solver's plan is invalid: %(detail)s"),
    N_("the analysis failed: %(detail)s"),
    N_("the worker was stopped during the solve"),
    N_("the worker was stopped during the analysis"),
    N_("the worker stopped: no heartbeat since %(time)sZ"),
    N_("the worker process %(pid)s is gone"),
    N_("queued again (attempt %(attempt)s of %(attempts)s)"),
    N_("the published plan is unchanged"),
)
PART_SEPARATOR = "; "


def run_error(stored: str | None) -> object:
    """The stored error as the reader reads it (a `Deferred` or `Joined` equal to the
    stored English, or the stored text itself when its form is unknown)."""
    if not stored:
        return ""
    whole = read_back(stored, TEXTS)
    if whole is not stored:
        return whole
    pieces = stored.split(PART_SEPARATOR)
    parts: list[object] = [read_back(piece, TEXTS) for piece in pieces]
    # Only when every part is known: a half-translated line would mislead more than help.
    if len(pieces) > 1 and all(part is not piece for part, piece in zip(parts, pieces,
                                                                        strict=True)):
        return Joined(parts, PART_SEPARATOR)
    return stored
