"""Logging in and API tokens: attempts counted per (username, address) before each
password is verified, and an expiry on every API token (tokens made before this migration
expire 90 days after it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the expiry given to the tokens that exist when this migration runs
EXISTING_TOKENS_LAST = timedelta(days=90)


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", "address", name=op.f("pk_login_attempts")),
    )
    op.create_index(op.f("ix_login_attempts_last_at"), "login_attempts", ["last_at"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    expires = datetime.now(UTC) + EXISTING_TOKENS_LAST
    bind = op.get_bind()
    value = expires.replace(tzinfo=None) if bind.dialect.name == "sqlite" else expires
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    bind.execute(tokens.update().values(expires_at=value))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
    op.drop_index(op.f("ix_login_attempts_last_at"), table_name="login_attempts")
    op.drop_table("login_attempts")
