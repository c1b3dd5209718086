"""The `jointops` command line: one Typer app, each area registers its own commands."""

from __future__ import annotations

import typer

from app import cli_board, cli_ops, cli_repatriation, cli_security, cli_solver, cli_worker

app = typer.Typer(
    help="JointOps: plan and task coordinated cross-border operations.",
    no_args_is_help=True,
    add_completion=False,
)
cli_solver.register(app)
cli_board.register(app)
cli_worker.register(app)
cli_ops.register(app)
cli_repatriation.register(app)
cli_security.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
