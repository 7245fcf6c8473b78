"""Campaigns planned by dates (« veille sociale », issue 21): one row per planned
campaign, its list, its start and end dates, and when the service opened and closed it;
and ``cycle_members.by_consent``: a household enrolled in an emergency campaign only
through the veille-sociale list (on its consent), whose withdrawal stops its calls.

Revision ID: 0030
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("planned_by", sa.String(100), nullable=False),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_plans_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_plans")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_campaign_plans_campaign_id")),
    )
    op.create_index(
        op.f("ix_campaign_plans_list_name"), "campaign_plans", ["list_name"], unique=False
    )


    with op.batch_alter_table("cycle_members") as batch:
        batch.add_column(
            sa.Column("by_consent", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("cycle_members") as batch:
        batch.drop_column("by_consent")
    op.drop_index(op.f("ix_campaign_plans_list_name"), table_name="campaign_plans")
    op.drop_table("campaign_plans")
