"""Notes about who called from a number on no register (issue 18): an agent's free text
about the caller, kept with the call coming in (its channel's id: such a call has no
attempt), for the supervisors' view of the calls coming in.

Revision ID: 0031
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.String(36), nullable=False),
        sa.Column("caller", sa.String(40), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycles.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("attempt_id"),
    )
    op.create_index("ix_inbound_notes_created_at", "inbound_notes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_notes_created_at", table_name="inbound_notes")
    op.drop_table("inbound_notes")
