"""Who must not be dialled (issue #17): oppositions (« ne plus appeler ») and the register's
feedback (deceased, moved, hospitalised), one row per hold, kept when lifted.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def upgrade() -> None:
    op.create_table(
        "person_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum("holdkind", "opposition", "deceased", "moved", "hospitalised"),
            nullable=False,
        ),
        sa.Column("on_behalf_of", _enum("onbehalfof", "person", "relative"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fingerprint", sa.String(32), nullable=True),
        sa.Column("attempt_id", sa.String(36), nullable=True),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(100), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_holds_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_person_holds_cycle_id_cycles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_holds")),
    )
    op.create_index(
        "ix_person_holds_person_id_lifted_at", "person_holds", ["person_id", "lifted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_person_holds_person_id_lifted_at", table_name="person_holds")
    op.drop_table("person_holds")
