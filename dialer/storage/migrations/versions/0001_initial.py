"""The initial schema: register, campaigns, cycles, the attempt ledger, callbacks,
cycle results.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "heatwave",
                "cold_spell",
                "epidemic",
                "other",
                name="campaignkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("questionnaire_id", sa.String(length=100), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=50), nullable=False),
        sa.Column("calling_windows", sa.JSON(), nullable=False),
        sa.Column("retry_policy", sa.JSON(), nullable=False),
        sa.Column(
            "pacing_mode",
            sa.Enum(
                "preview",
                "progressive",
                "predictive",
                name="pacingmode",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("caller_id", sa.String(length=20), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "running",
                "paused",
                "stopped",
                "finished",
                name="campaignstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("postcode", sa.String(length=20), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("district", sa.String(length=100), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("medical_flag", sa.Boolean(), nullable=False),
        sa.Column("register_flags", sa.JSON(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("external_id", name=op.f("uq_persons_external_id")),
    )
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_cycles_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycles")),
        sa.UniqueConstraint("campaign_id", "number", name=op.f("uq_cycles_campaign_id_number")),
    )
    op.create_table(
        "phone_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "mobile",
                "landline",
                "voip",
                "other",
                name="phonekind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("shared_with_other_person", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_phone_numbers_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_numbers")),
        sa.UniqueConstraint(
            "person_id", "position", name=op.f("uq_phone_numbers_person_id_position")
        ),
    )
    op.create_index(op.f("ix_phone_numbers_e164"), "phone_numbers", ["e164"], unique=False)

    op.create_table(
        "attempts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "automatic", "callback", "preview", name="attemptkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "planned",
                "dialing",
                "ringing",
                "answered",
                "bridged",
                "ended",
                "failed",
                name="attemptstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "answered",
                "busy",
                "no_answer",
                "unreachable",
                "invalid_number",
                "rejected",
                "congestion",
                "failed",
                "abandoned",
                "machine",
                name="calloutcome",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("hangup_cause", sa.Integer(), nullable=True),
        sa.Column("sip_status", sa.Integer(), nullable=True),
        sa.Column("planned_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bridged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("node", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_attempts_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_attempts_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
    )
    op.create_index("ix_attempts_cycle_id_state", "attempts", ["cycle_id", "state"], unique=False)
    op.create_index("ix_attempts_person_id", "attempts", ["person_id"], unique=False)

    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_callbacks_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_callbacks_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    op.create_index("ix_callbacks_done_due_at", "callbacks", ["done", "due_at"], unique=False)

    op.create_table(
        "cycle_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "reached",
                "refused",
                "wrong_number",
                "hospitalised",
                "moved",
                "deceased",
                "never_reached",
                name="personresult",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_cycle_results_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_cycle_results_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_results")),
        sa.UniqueConstraint(
            "cycle_id", "person_id", name=op.f("uq_cycle_results_cycle_id_person_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("cycle_results")
    op.drop_index("ix_callbacks_done_due_at", table_name="callbacks")

    op.drop_table("callbacks")
    op.drop_index("ix_attempts_person_id", table_name="attempts")
    op.drop_index("ix_attempts_cycle_id_state", table_name="attempts")

    op.drop_table("attempts")
    op.drop_index(op.f("ix_phone_numbers_e164"), table_name="phone_numbers")

    op.drop_table("phone_numbers")
    op.drop_table("cycles")
    op.drop_table("persons")
    op.drop_table("campaigns")
