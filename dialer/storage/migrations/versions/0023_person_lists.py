"""Named lists of people and a campaign's selection (issue #17): the heatwave register, a
district's flood list… each person on one list or more (memberships kept when they end);
every person already stored goes on the default list « registre » (off it since their
removal, if they were removed). A campaign stores who it calls (``selection``, JSON).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_person_lists_name")),
    )
    op.create_table(
        "list_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_list_memberships_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["person_lists.id"], name=op.f("fk_list_memberships_list_id_person_lists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_memberships")),
    )
    op.create_index(
        "ix_list_memberships_list_id_removed_at", "list_memberships", ["list_id", "removed_at"]
    )
    op.create_index(
        "ix_list_memberships_person_id_removed_at",
        "list_memberships",
        ["person_id", "removed_at"],
    )
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("selection", sa.JSON(), nullable=True))
    lists = sa.table(
        "person_lists",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(lists, [{"id": 1, "name": "registre", "created_at": datetime.now(UTC)}])
    op.execute(
        "INSERT INTO list_memberships (person_id, list_id, added_at, removed_at) "
        "SELECT id, 1, created_at, removed_at FROM persons"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('person_lists', 'id'), "
            "(SELECT max(id) FROM person_lists))"
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("selection")
    op.drop_index("ix_list_memberships_person_id_removed_at", table_name="list_memberships")
    op.drop_index("ix_list_memberships_list_id_removed_at", table_name="list_memberships")
    op.drop_table("list_memberships")
    op.drop_table("person_lists")
