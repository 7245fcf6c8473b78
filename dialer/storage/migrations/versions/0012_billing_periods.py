"""Retention: the billing totals of a closed cycle, kept when its ledger is purged.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_periods",
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("billed_contacts", sa.Integer(), nullable=False),
        sa.Column("useful_contacts", sa.Integer(), nullable=False),
        sa.Column("handled_calls", sa.Integer(), nullable=False),
        sa.Column("handling_total_s", sa.Float(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_billing_periods_cycle_id_cycles")
        ),
        sa.PrimaryKeyConstraint("cycle_id", name=op.f("pk_billing_periods")),
    )


def downgrade() -> None:
    op.drop_table("billing_periods")
