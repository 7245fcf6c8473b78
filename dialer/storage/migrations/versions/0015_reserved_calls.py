"""Agent-reserved calls: the agent a person's next call belongs to (an agent's callback),
and the reason an agent gave for passing a person offered in preview.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cycle_members") as batch:
        batch.add_column(sa.Column("next_agent", sa.String(100), nullable=True))
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("skip_reason", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("skip_reason")
    with op.batch_alter_table("cycle_members") as batch:
        batch.drop_column("next_agent")
