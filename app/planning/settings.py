"""Settings of the planning worker (JOINTOPS_* variables, like app.config).

Kept here rather than in app.config so this area can be merged on its own; the
integrator may fold these fields into app.config.Settings without changing names.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class PlanningSettings(BaseSettings):
    """How the solver worker runs and how a dead one is recognised."""

    model_config = SettingsConfigDict(env_prefix="JOINTOPS_", env_file=".env", extra="ignore")

    # The web server starts `jointops worker` as a child process at startup (for
    # `make run`); set JOINTOPS_SPAWN_WORKER=false when a worker runs separately.
    spawn_worker: bool = True
    worker_poll_seconds: float = 1.0
    # A running solve whose heartbeat is older than this is marked failed.
    worker_stale_seconds: float = 30.0
    heartbeat_seconds: float = 1.0
    max_time_limit_seconds: int = 600


@lru_cache
def get_planning_settings() -> PlanningSettings:
    """The process-wide planning settings (tests may call cache_clear())."""
    return PlanningSettings()
