"""Agents' seat sessions (logged in → logged out), for the seat-hours of the reports.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seat_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_sessions")),
    )
    op.create_index(op.f("ix_seat_sessions_ended_at"), "seat_sessions", ["ended_at"])
    op.create_index(op.f("ix_seat_sessions_started_at"), "seat_sessions", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_seat_sessions_started_at"), table_name="seat_sessions")
    op.drop_index(op.f("ix_seat_sessions_ended_at"), table_name="seat_sessions")
    op.drop_table("seat_sessions")
