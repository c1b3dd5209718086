"""cordons: the cordon an operation asks for, and cordon posts as taskings

An operation may seal crossings around its raid (issue 13, docs/cordon-format.md):
operation_cordons holds the cordon, cordon_crossings the crossings it lists. A tasking is
now a raid order at a site or a cordon post at one side of a sealed crossing: `kind`,
`side`, `post_region_id`, and `site_id` may be NULL (a post has no site).

Revision ID: cordons_0900
Revises: language_0800
Create Date: 2026-12-03 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cordons_0900"
down_revision: str | Sequence[str] | None = "language_0800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app/models/planning.py builds them (copied: a migration stays as written). SQLite
# rebuilds the taskings table in batch mode, which drops its triggers: made again here.
UNIT_BUSY = "ex_taskings_unit_busy"
UNIT_BUSY_MESSAGE = "a unit cannot be in two active orders that overlap in time"
_OVERLAP = (
    "NEW.status = 'active' AND EXISTS (SELECT 1 FROM taskings t WHERE t.unit_id = NEW.unit_id"
    " AND t.status = 'active' AND t.id IS NOT NEW.id AND t.depart < NEW.return_at"
    " AND NEW.depart < t.return_at)"
)
SQLITE_UNIT_BUSY = tuple(
    f"CREATE TRIGGER {UNIT_BUSY}_{when} BEFORE {what} ON taskings WHEN {_OVERLAP} "
    f"BEGIN SELECT RAISE(ABORT, '{UNIT_BUSY}: {UNIT_BUSY_MESSAGE}'); END"
    for when, what in (("insert", "INSERT"),
                       ("update", "UPDATE OF unit_id, depart, return_at, status"))
)
KIND_PLACE = (
    "(kind = 'raid' AND site_id IS NOT NULL) OR (kind = 'cordon_post' AND site_id IS NULL"
    " AND crossing_id IS NOT NULL AND side IN ('a', 'b') AND post_region_id IS NOT NULL)"
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "operation_cordons",
        sa.Column("operation_id", sa.String(length=32), nullable=False),
        sa.Column("within_km", sa.Float(), nullable=True),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("tail_minutes", sa.Integer(), nullable=False),
        sa.Column("units_per_side", sa.Integer(), nullable=False),
        sa.Column("allow_own_passages", sa.Boolean(), nullable=False),
        sa.CheckConstraint("lead_minutes >= 0", name=op.f("ck_operation_cordons_lead_nonnegative")),
        sa.CheckConstraint("tail_minutes >= 0", name=op.f("ck_operation_cordons_tail_nonnegative")),
        sa.CheckConstraint("units_per_side >= 1", name=op.f("ck_operation_cordons_units_positive")),
        sa.CheckConstraint("within_km IS NULL OR within_km >= 0",
                           name=op.f("ck_operation_cordons_radius_nonnegative")),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], ondelete="CASCADE",
                                name=op.f("fk_operation_cordons_operation_id_operations")),
        sa.PrimaryKeyConstraint("operation_id", name=op.f("pk_operation_cordons")),
    )
    op.create_table(
        "cordon_crossings",
        sa.Column("operation_id", sa.String(length=32), nullable=False),
        sa.Column("crossing_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operation_cordons.operation_id"], ondelete="CASCADE",
            name=op.f("fk_cordon_crossings_operation_id_operation_cordons")),
        sa.ForeignKeyConstraint(["crossing_id"], ["crossings.id"],
                                name=op.f("fk_cordon_crossings_crossing_id_crossings")),
        sa.PrimaryKeyConstraint("operation_id", "crossing_id", name=op.f("pk_cordon_crossings")),
    )
    op.create_index(op.f("ix_cordon_crossings_crossing_id"), "cordon_crossings",
                    ["crossing_id"])
    with op.batch_alter_table("taskings") as batch:
        batch.add_column(sa.Column(
            "kind", sa.Enum("raid", "cordon_post", name="tasking_kind", native_enum=False,
                            create_constraint=True, length=24),
            server_default="raid", nullable=False))
        batch.add_column(sa.Column("side", sa.String(length=1), nullable=True))
        batch.add_column(sa.Column("post_region_id", sa.String(length=32), nullable=True))
        batch.create_foreign_key(op.f("fk_taskings_post_region_id_regions"), "regions",
                                 ["post_region_id"], ["id"])
        batch.alter_column("site_id", existing_type=sa.String(length=32), nullable=True)
        batch.create_check_constraint("kind_place", KIND_PLACE)
    if _sqlite():
        for statement in SQLITE_UNIT_BUSY:
            op.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]}")
            op.execute(statement)


def downgrade() -> None:
    op.execute("DELETE FROM taskings WHERE kind = 'cordon_post'")
    with op.batch_alter_table("taskings") as batch:
        batch.drop_constraint(op.f("ck_taskings_kind_place"), type_="check")
        batch.alter_column("site_id", existing_type=sa.String(length=32), nullable=False)
        batch.drop_constraint(op.f("fk_taskings_post_region_id_regions"), type_="foreignkey")
        batch.drop_column("post_region_id")
        batch.drop_column("side")
        batch.drop_constraint(op.f("ck_taskings_tasking_kind"), type_="check")
        batch.drop_column("kind")
    if _sqlite():
        for statement in SQLITE_UNIT_BUSY:
            op.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]}")
            op.execute(statement)
    op.drop_index(op.f("ix_cordon_crossings_crossing_id"), table_name="cordon_crossings")
    op.drop_table("cordon_crossings")
    op.drop_table("operation_cordons")
