"""Never-reached lists: one per closed cycle, its entries (person, team, reason, trace),
and their messages in the alert outbox (``alert_deliveries`` gets the list and the team,
its alert becomes optional). Cycles closed before this migration are marked published with
nobody on their list: their people were never sent, and are not sent now.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def upgrade() -> None:
    op.create_table(
        "never_reached_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_never_reached_lists_cycle_id_cycles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_never_reached_lists")),
        sa.UniqueConstraint("cycle_id", name=op.f("uq_never_reached_lists_cycle_id")),
    )
    op.create_table(
        "never_reached_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column(
            "result",
            _enum(
                "cycleresult",
                "reached",
                "refused",
                "wrong_number",
                "hospitalised",
                "moved",
                "deceased",
                "never_reached",
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            _enum(
                "neverreachedreason",
                "attempts_exhausted",
                "deadline_reached",
                "never_attempted",
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["never_reached_lists.id"],
            name=op.f("fk_never_reached_entries_list_id_never_reached_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_never_reached_entries_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_never_reached_entries_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_never_reached_entries")),
        sa.UniqueConstraint(
            "list_id",
            "person_id",
            "team_id",
            name=op.f("uq_never_reached_entries_list_id_person_id_team_id"),
        ),
    )
    op.create_index(
        "ix_never_reached_entries_team_id_list_id",
        "never_reached_entries",
        ["team_id", "list_id"],
        unique=False,
    )
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.alter_column("alert_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("never_reached_list_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_alert_deliveries_never_reached_list_id_never_reached_lists"),
            "never_reached_lists",
            ["never_reached_list_id"],
            ["id"],
        )
        batch.create_foreign_key(
            op.f("fk_alert_deliveries_team_id_teams"), "teams", ["team_id"], ["id"]
        )
    op.execute(
        "INSERT INTO never_reached_lists (cycle_id, published_at, people) "
        "SELECT id, closed_at, 0 FROM cycles WHERE closed_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DELETE FROM alert_deliveries WHERE alert_id IS NULL")
    with op.batch_alter_table("alert_deliveries") as batch:
        batch.drop_constraint(
            op.f("fk_alert_deliveries_team_id_teams"), type_="foreignkey"
        )
        batch.drop_constraint(
            op.f("fk_alert_deliveries_never_reached_list_id_never_reached_lists"),
            type_="foreignkey",
        )
        batch.drop_column("team_id")
        batch.drop_column("never_reached_list_id")
        batch.alter_column("alert_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_never_reached_entries_team_id_list_id", table_name="never_reached_entries")
    op.drop_table("never_reached_entries")
    op.drop_table("never_reached_lists")
