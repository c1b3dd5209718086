"""Commands of the `jointops` CLI for this area (see app/cli.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `jointops` app."""
