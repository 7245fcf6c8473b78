"""Volunteer calls to isolated households (« veille sociale », issue 21): households'
consents (with their withdrawals), volunteers' onboarding, coordinators and availability,
and the directory of resources (city services and local partners).

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0024"
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
    op.create_table(
        "volunteer_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=True),
        sa.Column("trained_on", sa.Date(), nullable=True),
        sa.Column("trained_by", sa.String(50), nullable=True),
        sa.Column("training_recorded_by", sa.String(100), nullable=True),
        sa.Column("training_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_volunteer_profiles_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["coordinator_id"],
            ["accounts.id"],
            name=op.f("fk_volunteer_profiles_coordinator_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_profiles")),
        sa.UniqueConstraint("account_id", name=op.f("uq_volunteer_profiles_account_id")),
    )
    op.create_table(
        "volunteer_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("starts", sa.String(5), nullable=False),
        sa.Column("ends", sa.String(5), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["volunteer_profiles.id"],
            name=op.f("fk_volunteer_slots_profile_id_volunteer_profiles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_slots")),
    )
    op.create_index("ix_volunteer_slots_profile_id", "volunteer_slots", ["profile_id"])
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(300), nullable=False),
        sa.Column("hours", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
        sa.UniqueConstraint("name", name=op.f("uq_resources_name")),
    )


def downgrade() -> None:
    op.drop_table("resources")
    op.drop_index("ix_volunteer_slots_profile_id", table_name="volunteer_slots")
    op.drop_table("volunteer_slots")
    op.drop_table("volunteer_profiles")
    op.drop_index("ix_consents_person_id_withdrawn_at", table_name="consents")
    op.drop_table("consents")
