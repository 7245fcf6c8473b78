"""The cycle schedule (one row per person and cycle), and the wrap-up end and the agent's
disposition on each attempt (handling time needs the first, the planner the second).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cycle_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting", "in_call", "wrap_up", "done",
                name="memberstatus", native_enum=False, length=16,
            ),
            nullable=False,
        ),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_number", sa.String(length=20), nullable=True),
        sa.Column(
            "next_kind",
            sa.Enum(
                "automatic", "callback", "preview",
                name="attemptkind", native_enum=False, length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempt_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name="fk_cycle_members_cycle_id_cycles"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name="fk_cycle_members_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cycle_members"),
        sa.UniqueConstraint("cycle_id", "person_id", name="uq_cycle_members_cycle_id_person_id"),
    )
    op.create_index(
        "ix_cycle_members_due", "cycle_members", ["cycle_id", "status", "next_due_at"]
    )
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("wrap_up_done_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("disposition", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("disposition")
        batch.drop_column("wrap_up_done_at")
    op.drop_index("ix_cycle_members_due", table_name="cycle_members")
    op.drop_table("cycle_members")
