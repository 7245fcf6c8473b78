"""Agents' SIP credentials (md5 digests only) for the PJSIP configuration.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sip_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=100), nullable=False),
        sa.Column("md5_cred", sa.String(length=32), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_sip_credentials_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sip_credentials"),
        sa.UniqueConstraint("account_id", name="uq_sip_credentials_account_id"),
        sa.UniqueConstraint("endpoint", name="uq_sip_credentials_endpoint"),
    )


def downgrade() -> None:
    op.drop_table("sip_credentials")
