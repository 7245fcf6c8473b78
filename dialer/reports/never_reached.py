"""A team's never-reached list of one cycle as a table: the team's page shows it and
offers it as CSV (the same columns as the report's « Personnes jamais jointes »)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from dialer.core.labels import OUTCOME_LABELS, never_reached_text
from dialer.reports.tables import Cell, Table, local_time
from dialer.storage.never_reached import ListLine, TeamList, trace_steps

HEADERS = (
    "Nom",
    "Prénom",
    "Identifiant",
    "Adresse",
    "Quartier",
    "Téléphones",
    "Proche ou aidant",
    "Motif",
    "Tentatives",
    "Détail des tentatives (heure, numéro : issue)",
)


def reason_text(line: ListLine) -> str:
    return never_reached_text(line.entry.reason, line.entry.attempts)


def trace_text(line: ListLine, zone: ZoneInfo) -> str:
    """``13/07/2026 11:02 +33145678910 : pas de réponse | …``"""
    return " | ".join(
        f"{local_time(step.at, zone)} {step.number} : "
        + (OUTCOME_LABELS[step.outcome] if step.outcome else "sans issue enregistrée")
        for step in trace_steps(line.entry)
    )


def team_list_table(team_list: TeamList, zone: ZoneInfo) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for line in team_list.lines:
        person = line.person
        place = " ".join(part for part in (person.postcode, person.city) if part)
        rows.append(
            (
                person.last_name,
                person.first_name,
                person.external_id,
                ", ".join(part for part in (person.address, place) if part),
                person.district or "",
                " / ".join(phone.e164 for phone in person.phones),
                " ".join(part for part in (person.contact_name, person.contact_phone) if part),
                reason_text(line),
                line.entry.attempts,
                trace_text(line, zone),
            )
        )
    cycle = team_list.cycle
    return Table(
        f"jamais-joints-{cycle.campaign_id}-cycle-{cycle.number}",
        f"Personnes jamais jointes — {cycle.campaign_name}, cycle {cycle.number}",
        HEADERS,
        tuple(rows),
    )
