"""Who read what: the audit log's hash chain (each entry chained to the previous one), the
person an entry is about, the screen or route it came from, and the chain's head row.

Entries written before this migration are chained here, oldest first.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dialer.core.audit_chain import GENESIS, ChainedFields, entry_hash

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("route", sa.String(200), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("prev_hash", sa.String(64), nullable=False, server_default=GENESIS)
        )
        batch.add_column(sa.Column("hash", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("route", server_default=None)
        batch.alter_column("prev_hash", server_default=None)
        batch.alter_column("hash", server_default=None)
    op.create_index(op.f("ix_audit_log_person_id"), "audit_log", ["person_id"])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("checkpoint_hash", sa.String(64), nullable=False),
        sa.Column("checkpoint_entry_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    last = _chain_existing_entries()
    op.bulk_insert(
        head, [{"id": 1, "last_hash": last, "checkpoint_hash": GENESIS, "checkpoint_entry_id": 0}]
    )


def _chain_existing_entries() -> str:
    from datetime import UTC

    connection = op.get_bind()
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("target", sa.String()),
        sa.column("details", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    previous = GENESIS
    rows = connection.execute(
        sa.select(log.c.id, log.c.at, log.c.actor, log.c.action, log.c.target, log.c.details)
        .order_by(log.c.id)
    ).all()
    for row in rows:
        at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
        fields = ChainedFields(
            prev_hash=previous,
            at=at,
            actor=row.actor,
            action=row.action,
            target=row.target,
            person_id=None,
            route="",
            details=row.details or {},
        )
        digest = entry_hash(fields)
        connection.execute(
            sa.update(log).where(log.c.id == row.id).values(prev_hash=previous, hash=digest)
        )
        previous = digest
    return previous


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_index(op.f("ix_audit_log_person_id"), table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("route")
        batch.drop_column("person_id")
