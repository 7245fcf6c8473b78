"""A phone in the agent's page (issue #20): an agent's SIP account may be marked for the
browser phone (WebRTC endpoint, credentials fetched by the logged-in page).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sip_credentials") as batch:
        batch.add_column(
            sa.Column("browser", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("sip_credentials") as batch:
        batch.drop_column("browser")
