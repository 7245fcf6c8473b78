"""Access: one account per SIP endpoint; team webhooks may carry only a link to the alert.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.create_unique_constraint("uq_accounts_sip_endpoint", ["sip_endpoint"])
    with op.batch_alter_table("teams") as batch:
        batch.add_column(
            sa.Column(
                "webhook_link_only", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    # every team with a webhook signs its bodies from now on: one secret each
    teams = sa.table(
        "teams",
        sa.column("id", sa.Integer()),
        sa.column("webhook_url", sa.String()),
        sa.column("webhook_secret", sa.String()),
    )
    connection = op.get_bind()
    unsigned = connection.execute(
        sa.select(teams.c.id).where(
            teams.c.webhook_url.is_not(None), teams.c.webhook_secret.is_(None)
        )
    ).scalars()
    for team_id in list(unsigned):
        connection.execute(
            teams.update()
            .where(teams.c.id == team_id)
            .values(webhook_secret=secrets.token_urlsafe(32))
        )


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("webhook_link_only")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint("uq_accounts_sip_endpoint", type_="unique")
