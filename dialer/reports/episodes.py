"""The report of an alert episode: the whole episode (every cycle of its campaign, one
bill whose volume bands run across the cycles) and each cycle on one line (its figures,
its never-reached people, its billed contacts priced in the bands where the earlier
cycles left off). ``dialer report episode <id>`` prints and writes it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from dialer.core.billing import PriceGrid, contact_lines
from dialer.core.episodes import EpisodeView
from dialer.core.handling_time import summarize
from dialer.core.labels import (
    ALERT_KIND_LABELS,
    ESCALATION_STAGES,
    VISIT_OUTCOME_LABELS,
    VISIT_REASON_LABELS,
)
from dialer.core.seat_time import conversion_rate, seat_hours
from dialer.errors import ConflictError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.reports import tables
from dialer.reports.exports import csv_bytes, xlsx_bytes
from dialer.reports.figures import call_timings, cycle_seat_seconds, useful_contact_members
from dialer.reports.price_grid import load_price_grid
from dialer.reports.service import Report, ReportBuilder, assemble
from dialer.reports.tables import Cell, Table
from dialer.storage.database import SessionFactory
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.relatives import escalation_counts
from dialer.storage.visits import VisitLine, VisitRepository

#: what an episode's report is written as (the PDF is the campaign report's)
EPISODE_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class CycleLine:
    """One cycle of the episode. ``first_billed``..``last_billed``: the episode's contact
    numbers this cycle's billed contacts are priced as (none billed: ``first > last``)."""

    number: int
    started_at: datetime
    ended_at: datetime | None
    register: int
    attempted: int
    reached: int
    useful_contacts: int
    never_reached: int
    billed: int
    first_billed: int
    last_billed: int
    contacts_amount: Decimal
    #: agents' logged-in time during the cycle, and its handling time (DMT)
    seat_seconds: float = 0.0
    dmt_mean_s: float = 0.0

    @property
    def conversion_rate(self) -> float:
        """Useful contacts over the people called."""
        return conversion_rate(self.useful_contacts, self.attempted)


@dataclass(frozen=True)
class EpisodeReport:
    episode: EpisodeView
    #: the whole episode: every cycle of its campaign
    report: Report
    cycles: tuple[CycleLine, ...]
    #: when the phone did not reach someone: never reached → relative called → visit
    #: requested → visit done (``core.labels.ESCALATION_STAGES`` keys), and each visit
    escalation: Mapping[str, int] = field(default_factory=dict)
    visits: tuple[VisitLine, ...] = ()

    @property
    def file_stem(self) -> str:
        return f"rapport-episode-{self.episode.id}"

    @property
    def title(self) -> str:
        return (
            f"Épisode n° {self.episode.id} — {ALERT_KIND_LABELS[self.episode.kind]}, "
            f"niveau {self.episode.level}"
        )


def cycle_lines(report: Report, grid: PriceGrid) -> tuple[CycleLine, ...]:
    """Each cycle's line (pure). The bands continue from cycle to cycle: cycle 2's first
    billed contact is the one after cycle 1's last."""
    rows = report.rows
    placed = [a for a in rows.attempts if a.placed_at is not None]
    useful = useful_contact_members(rows)
    billed = Counter(contact.cycle_id for contact in report.billing.reconciliation.billed)
    never = Counter(line.cycle for line in report.figures.follow_up)
    lines: list[CycleLine] = []
    earlier = 0
    timings = call_timings(rows)
    for cycle in rows.cycles:
        count = billed[cycle.id]
        amount = sum(
            (line.amount for line in contact_lines(grid, count, earlier_contacts=earlier)),
            Decimal("0.00"),
        )
        lines.append(
            CycleLine(
                number=cycle.number,
                started_at=cycle.started_at,
                ended_at=cycle.closed_at,
                register=sum(1 for member in rows.members if member[0] == cycle.id),
                attempted=len({a.person_id for a in placed if a.cycle_id == cycle.id}),
                reached=len(
                    {
                        a.person_id
                        for a in placed
                        if a.cycle_id == cycle.id and a.bridged_at is not None
                    }
                ),
                useful_contacts=sum(1 for member in useful if member[0] == cycle.id),
                never_reached=never[cycle.number],
                billed=count,
                first_billed=earlier + 1,
                last_billed=earlier + count,
                contacts_amount=amount,
                seat_seconds=cycle_seat_seconds(rows, cycle),
                dmt_mean_s=summarize(
                    [t for t in timings if t.cycle_id == cycle.id]
                ).mean_handling_s,
            )
        )
        earlier += count
    return tuple(lines)


def episode_summary(episode_report: EpisodeReport) -> Table:
    episode = episode_report.episode
    rows: list[tuple[Cell, ...]] = [
        ("Épisode", f"n° {episode.id}"),
        ("Type d'alerte", ALERT_KIND_LABELS[episode.kind]),
        ("Niveau du plan", episode.level),
        ("Zone", ", ".join(episode.districts) or "toute la ville"),
        ("Début", episode.started_at),
        ("Démarré par", episode.started_by),
        ("Fin", episode.ended_at),
        ("Terminé par", episode.ended_by or ""),
        ("Campagne", episode_report.report.rows.campaign.name),
        ("Cycles", len(episode_report.cycles)),
    ]
    return Table("episode", episode_report.title, ("Élément", "Valeur"), tuple(rows))


def per_cycle(episode_report: EpisodeReport) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for line in episode_report.cycles:
        span = (
            f"n° {line.first_billed} à {line.last_billed}"
            if line.billed
            else "aucun contact facturé"
        )
        rows.append(
            (
                line.number,
                line.started_at,
                line.ended_at,
                line.register,
                line.attempted,
                line.reached,
                line.useful_contacts,
                line.never_reached,
                line.billed,
                span,
                line.contacts_amount,
                seat_hours(line.seat_seconds),
                tables.seconds(line.dmt_mean_s),
                tables.percent(line.conversion_rate),
            )
        )
    whole = episode_report.report
    rows.append(
        (
            "Épisode",
            None,
            None,
            sum(line.register for line in episode_report.cycles),
            sum(line.attempted for line in episode_report.cycles),
            sum(line.reached for line in episode_report.cycles),
            whole.figures.useful_contacts,
            len(whole.figures.follow_up),
            whole.billing.reconciliation.billed_count,
            "tranches de volume sur tout l'épisode",
            whole.billing.bill.contacts_amount,
            seat_hours(sum(line.seat_seconds for line in episode_report.cycles)),
            tables.seconds(whole.figures.dmt_overall.mean_handling_s),
            tables.percent(
                conversion_rate(
                    sum(line.useful_contacts for line in episode_report.cycles),
                    sum(line.attempted for line in episode_report.cycles),
                )
            ),
        )
    )
    return Table(
        "par_cycle",
        "Cycles de l'épisode",
        (
            "Cycle",
            "Début",
            "Clôture",
            "Au registre",
            "Appelées",
            "Jointes",
            "Contacts utiles",
            "Jamais jointes",
            "Contacts facturés",
            "Numéros des contacts dans les tranches",
            "Contacts utiles HT (€)",
            "Heures-siège",
            "DMT moyenne (s)",
            "Taux de conversion (%)",
        ),
        tuple(rows),
    )


def escalation_funnel(episode_report: EpisodeReport) -> Table:
    """People (per cycle) the phone did not reach, and what followed."""
    counts = episode_report.escalation
    return Table(
        "suivi_non_joints",
        "Personnes non jointes : proche, puis équipe de terrain",
        ("Étape", "Personnes (par cycle)"),
        tuple((label, counts.get(key, 0)) for key, label in ESCALATION_STAGES),
    )


def visit_table(episode_report: EpisodeReport) -> Table:
    """Every field visit requested, oldest first, and its outcome."""
    zone = episode_report.report.zone
    return Table(
        "visites",
        "Demandes de visite aux équipes de terrain",
        (
            "Cycle",
            "Nom",
            "Prénom",
            "Quartier",
            "Proche appelé",
            "Motif",
            "Demandée le",
            "Issue de la visite",
            "Notée par",
            "Notée le",
        ),
        tuple(
            (
                line.cycle_number,
                line.person.last_name,
                line.person.first_name,
                line.person.district or "",
                "oui" if line.relative_called else "non",
                VISIT_REASON_LABELS[line.request.reason],
                tables.local_time(line.request.requested_at, zone),
                VISIT_OUTCOME_LABELS[line.request.outcome]
                if line.request.outcome
                else "en attente",
                line.request.outcome_by or "",
                tables.local_time(line.request.outcome_at, zone),
            )
            for line in episode_report.visits
        ),
    )


def episode_tables(episode_report: EpisodeReport) -> list[Table]:
    """The episode's own tables, then every table of its whole report."""
    return [
        episode_summary(episode_report),
        per_cycle(episode_report),
        escalation_funnel(episode_report),
        visit_table(episode_report),
        *tables.all_tables(episode_report.report),
    ]


def write_episode_files(
    episode_report: EpisodeReport, out: Path, formats: Sequence[str] = EPISODE_FORMATS
) -> list[Path]:
    """One CSV per table and/or one XLSX into ``out`` (created if needed)."""
    unknown = sorted(set(formats) - set(EPISODE_FORMATS))
    if unknown:
        raise ValueError(f"format: {', '.join(unknown)} not in {', '.join(EPISODE_FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    zone = episode_report.report.zone
    all_tables = episode_tables(episode_report)
    written: list[Path] = []
    if "csv" in formats:
        for table in all_tables:
            path = out / f"{episode_report.file_stem}-{table.key}.csv"
            path.write_bytes(csv_bytes(table, zone))
            written.append(path)
    if "xlsx" in formats:
        path = out / f"{episode_report.file_stem}.xlsx"
        path.write_bytes(xlsx_bytes(all_tables, zone))
        written.append(path)
    return written


class EpisodeReports:
    """Builds an episode's report from the database (see :class:`ReportBuilder`)."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        catalog: QuestionnaireCatalog | None,
        price_grid_file: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.episodes = EpisodeRepository(sessions)
        self.builder = ReportBuilder(sessions, catalog=catalog, price_grid_file=price_grid_file)

    async def build(self, episode_id: int, *, now: datetime) -> EpisodeReport:
        """:class:`NotFoundError` for an unknown episode, :class:`ConflictError` for one
        without a campaign (nothing was called)."""
        episode = await self.episodes.get(episode_id)
        if episode.campaign_id is None:
            raise ConflictError(f"l'épisode n° {episode_id} n'a pas de campagne : aucun appel")
        grid = load_price_grid(self.builder.price_grid_file)
        rows = await self.builder.repository.load(episode.campaign_id, None)
        escalation = await escalation_counts(self.sessions, [episode.campaign_id])
        visits = tuple(await VisitRepository(self.sessions).for_campaigns([episode.campaign_id]))
        builder = self.builder

        def assemble_episode() -> EpisodeReport:
            report = assemble(rows, grid, builder.catalog, now, builder.zone)
            return EpisodeReport(episode, report, cycle_lines(report, grid), escalation, visits)

        return await asyncio.to_thread(assemble_episode)
