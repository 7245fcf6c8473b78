"""Veille sociale (issue 21): the orientations of households to the directory's resources
and the follow-up calls their callers schedule.

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _call_columns(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f(f"fk_{table}_attempt_id_attempts")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f(f"fk_{table}_person_id_persons")
        ),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.id"], name=op.f(f"fk_{table}_cycle_id_cycles")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "orientations",
        *_call_columns("orientations"),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(30), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("appointment_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("caller", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_orientations_resource_id_resources")
        ),
    )
    op.create_index("ix_orientations_cycle_id", "orientations", ["cycle_id"])
    op.create_table(
        "follow_ups",
        *_call_columns("follow_ups"),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("caller", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["callback_id"], ["callbacks.id"], name=op.f("fk_follow_ups_callback_id_callbacks")
        ),
    )
    op.create_index("ix_follow_ups_cycle_id", "follow_ups", ["cycle_id"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_cycle_id", table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_index("ix_orientations_cycle_id", table_name="orientations")
    op.drop_table("orientations")
