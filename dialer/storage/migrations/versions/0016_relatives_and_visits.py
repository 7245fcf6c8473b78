"""When the phone does not reach someone (issue #22): a person's objection to their relative
being called, and the field teams' visit requests. A visit request is delivered as an
alert (inbox, e-mail, webhook, escalation), which then has no call sheet: ``alerts.sheet_id``
becomes optional.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str, length: int = 20) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(
            sa.Column(
                "relative_objected", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("sheet_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "visit_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            _enum("visitreason", "cycle_end_unreached", "relative_no_news"),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "outcome",
            _enum(
                "visitoutcome",
                "seen_well",
                "helped",
                "taken_to_hospital",
                "absent",
                "deceased",
                "refused",
            ),
            nullable=True,
        ),
        sa.Column("outcome_by", sa.String(100), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_visit_requests_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_visit_requests_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_visit_requests_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_visit_requests_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_requests")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_visit_requests_alert_id")),
        sa.UniqueConstraint(
            "cycle_id", "person_id", "team_id", name=op.f("uq_visit_requests_cycle_id_person_id_team_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("visit_requests")
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("sheet_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("relative_objected")
