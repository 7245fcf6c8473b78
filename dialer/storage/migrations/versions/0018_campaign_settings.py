"""Campaign settings edited in the pages and the API: each campaign's own ring timeout
(``NULL``: the service's) and the settings' version (optimistic concurrency: an edit made on
a stale version is refused).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("ring_timeout_s", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("settings_version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("settings_version")
        batch.drop_column("ring_timeout_s")
