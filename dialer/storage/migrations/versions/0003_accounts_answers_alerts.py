"""Accounts and web sessions, intervention teams and their escalation contacts, call sheets
and their answers, alerts and their delivery outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("webhook_url", sa.String(length=1000), nullable=True),
        sa.Column("webhook_secret", sa.String(length=200), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "team_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_contacts_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_contacts")),
        sa.UniqueConstraint(
            "team_id", "position", name=op.f("uq_team_contacts_team_id_position")
        ),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            _enum(
                "role",
                "agent",
                "supervisor",
                "operations",
                "team_member",
                "administrator",
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("sip_endpoint", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_accounts_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_username")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("last_seen_at"),
        _when("expires_at"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_web_sessions_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_web_sessions")),
    )
    op.create_index("ix_web_sessions_account_id", "web_sessions", ["account_id"], unique=False)

    op.create_table(
        "call_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=100), nullable=False),
        sa.Column("questionnaire_version", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "disposition",
            _enum(
                "disposition",
                "complete",
                "interrupted",
                "refused",
                "callback",
                "absent",
                "wrong_number",
                "hospitalised",
                "moved",
                "deceased",
            ),
            nullable=True,
        ),
        _when("callback_at", nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("risk_level", sa.String(length=100), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        _when("opened_at"),
        _when("updated_at"),
        _when("submitted_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_call_sheets_attempt_id_attempts")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_call_sheets_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_call_sheets_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_sheets")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_call_sheets_attempt_id")),
    )
    op.create_index("ix_call_sheets_person_id", "call_sheets", ["person_id"], unique=False)

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        _when("answered_at"),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["call_sheets.id"], name=op.f("fk_answers_sheet_id_call_sheets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint(
            "sheet_id", "question_id", name=op.f("uq_answers_sheet_id_question_id")
        ),
    )

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=30), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("because", sa.JSON(), nullable=False),
        sa.Column("risk_level", sa.String(length=100), nullable=True),
        sa.Column("agent_instructions", sa.Text(), nullable=True),
        sa.Column("routed_to_default", sa.Boolean(), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        _when("raised_at"),
        sa.Column("state", _enum("alertstate", "open", "acknowledged"), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        _when("escalated_at", nullable=True),
        _when("next_escalation_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        _when("acknowledged_at", nullable=True),
        sa.Column("acknowledgement_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_alerts_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"], ["call_sheets.id"], name=op.f("fk_alerts_sheet_id_call_sheets")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_alerts_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "sheet_id", "key", "team_id", name=op.f("uq_alerts_sheet_id_key_team_id")
        ),
    )
    op.create_index("ix_alerts_team_id_state", "alerts", ["team_id", "state"], unique=False)
    op.create_index(
        "ix_alerts_state_next_escalation_at",
        "alerts",
        ["state", "next_escalation_at"],
        unique=False,
    )

    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", _enum("deliverychannel", "email", "webhook"), nullable=False),
        sa.Column("target", sa.String(length=1000), nullable=False),
        sa.Column("reason", _enum("deliveryreason", "raised", "escalated"), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("state", _enum("deliverystate", "pending", "sent"), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        _when("next_try_at"),
        sa.Column("last_error", sa.Text(), nullable=False),
        _when("created_at"),
        _when("sent_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_index(
        "ix_alert_deliveries_state_next_try_at",
        "alert_deliveries",
        ["state", "next_try_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_state_next_try_at", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alerts_state_next_escalation_at", table_name="alerts")
    op.drop_index("ix_alerts_team_id_state", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("answers")
    op.drop_index("ix_call_sheets_person_id", table_name="call_sheets")
    op.drop_table("call_sheets")
    op.drop_index("ix_web_sessions_account_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("accounts")
    op.drop_table("team_contacts")
    op.drop_table("teams")
