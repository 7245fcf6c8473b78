"""Alert episodes (kind, level, area, started/ended and by whom, their one campaign), and
on each cycle result why a never-reached person was not reached and after how many
attempts.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=100), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_alert_episodes_campaign_id_campaigns"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_episodes"),
        sa.UniqueConstraint("campaign_id", name="uq_alert_episodes_campaign_id"),
    )
    with op.batch_alter_table("cycle_results") as batch:
        batch.add_column(sa.Column("never_reached_reason", sa.String(length=20), nullable=True))
        batch.add_column(
            sa.Column("attempt_count", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("cycle_results") as batch:
        batch.drop_column("attempt_count")
        batch.drop_column("never_reached_reason")
    op.drop_table("alert_episodes")
