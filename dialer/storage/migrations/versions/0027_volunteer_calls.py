"""Volunteer calls to isolated households (« veille sociale », issue 21): households'
consents (with their withdrawals), volunteers' onboarding, coordinators and availability,
and the directory of resources (city services and local partners).

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AGREED_BY = sa.Enum("person", "relative", name="agreedby", native_enum=False, length=16)


def _channel() -> sa.Enum:
    return sa.Enum(
        "phone",
        "paper",
        "online_form",
        "in_person",
        name="consentchannel",
        native_enum=False,
        length=20,
    )


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("agreed_by", _AGREED_BY, nullable=False),
        sa.Column("relative_name", sa.String(200), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", _channel(), nullable=False),
        sa.Column("regular_calls", sa.Boolean(), nullable=False),
        sa.Column("emergency_campaigns", sa.Boolean(), nullable=False),
        sa.Column("collected_by", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "withdrawn_on_behalf_of",
            sa.Enum("person", "relative", name="agreedby", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("withdrawal_channel", _channel(), nullable=True),
        sa.Column("withdrawal_recorded_by", sa.String(100), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_consents_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(
        "ix_consents_person_id_withdrawn_at", "consents", ["person_id", "withdrawn_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_consents_person_id_withdrawn_at", table_name="consents")
    op.drop_table("consents")
