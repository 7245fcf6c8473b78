"""Help during a call (issue 18): agents' « besoin d'aide » requests and supervisors'
listenings (listen, whisper, barge) of agents' calls.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("attempt_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
    )
    op.create_index(
        "ix_help_requests_acknowledged_at", "help_requests", ["acknowledged_at"], unique=False
    )
    op.create_table(
        "call_supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(100), nullable=False),
        sa.Column("supervisor", sa.String(100), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("attempt_id", sa.String(64), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("listen", "whisper", "barge", name="spymode", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_supervisions")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_call_supervisions_channel_id")),
    )
    op.create_index(
        "ix_call_supervisions_ended_at", "call_supervisions", ["ended_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_call_supervisions_ended_at", table_name="call_supervisions")
    op.drop_table("call_supervisions")
    op.drop_index("ix_help_requests_acknowledged_at", table_name="help_requests")
    op.drop_table("help_requests")
