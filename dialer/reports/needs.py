"""The needs analysis of a veille-sociale campaign (issue 21), pure: needs and
expectations by kind, district and month, the orientations made (to which kinds of
resource, how), the follow-ups scheduled, the households reached and not reached; every
table published with its small cells suppressed (:mod:`dialer.core.small_cells`), so it
identifies nobody. Households are counted once per cell (a household that named the same
need twice in a month counts once in that month); orientations and follow-ups are counted
one by one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dialer.core.attempts import Disposition
from dialer.core.labels import (
    MONTH_NAMES,
    NEED_KIND_LABELS,
    ORIENTATION_MODE_LABELS,
    SUPPRESSED_CELL,
)
from dialer.core.orientations import OrientationMode, needs_answered
from dialer.core.resources import NeedKind
from dialer.core.small_cells import PublishedTable, publish, publish_linked
from dialer.errors import InputError
from dialer.reports.tables import Cell, Table
from dialer.storage.needs_rows import FollowUpFacts, NeedsRows, OrientationFacts

#: the district of a household the register does not place
NO_DISTRICT = "quartier non renseigné"
#: a submitted sheet with one of these: someone spoke with the household
SPOKEN_WITH = frozenset(
    {
        Disposition.COMPLETE,
        Disposition.INTERRUPTED,
        Disposition.REFUSED,
        Disposition.CALLBACK,
        Disposition.OPPOSED,
    }
)
EXPECTATIONS = (
    ("rappel_souhaite", "Souhaite être rappelé(e) pour faire le point"),
    ("solitude_souhait", "Souhaite une mise en relation ou plus d'appels (solitude)"),
)


@dataclass(frozen=True)
class Period:
    """Local dates, both included; None: unbounded."""

    start: date | None = None
    end: date | None = None

    def holds(self, moment: datetime, zone: ZoneInfo) -> bool:
        day = moment.astimezone(zone).date()
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def text(self) -> str:
        if self.start is None and self.end is None:
            return "toute la campagne"
        begin = self.start.strftime("%d/%m/%Y") if self.start else "le début"
        finish = self.end.strftime("%d/%m/%Y") if self.end else "aujourd'hui"
        return f"du {begin} au {finish}"


@dataclass(frozen=True)
class NeedsTable:
    key: str
    title: str
    row_header: str
    unit: str
    published: PublishedTable


@dataclass(frozen=True)
class NeedsReport:
    campaign_id: int
    campaign_name: str
    period: Period
    threshold: int
    generated_at: datetime
    zone: ZoneInfo
    tables: tuple[NeedsTable, ...]
    #: its figures may still move (see :func:`provisional`): not to be published
    provisional: bool = False

    @property
    def file_stem(self) -> str:
        stem = f"besoins-campagne-{self.campaign_id}"
        if self.period.start:
            stem += f"-du-{self.period.start.isoformat()}"
        if self.period.end:
            stem += f"-au-{self.period.end.isoformat()}"
        return stem + ("-provisoire" if self.provisional else "")

    @property
    def notice(self) -> str:
        text = (
            f"Agrégats anonymes : « {SUPPRESSED_CELL} » marque une case de moins de "
            f"{self.threshold} ménages (ou orientations, suivis), ou une case, de toute "
            "taille, masquée avec elle pour qu'elle ne puisse être recalculée à partir des "
            "totaux. Un ménage compte une fois par case."
        )
        if self.provisional:
            text = PROVISIONAL_NOTICE + " " + text
        return text


#: said first in a provisional analysis (and its file is named « …-provisoire »)
PROVISIONAL_NOTICE = (
    "ANALYSE PROVISOIRE, À NE PAS PUBLIER : un cycle de la campagne que la période couvre "
    "est encore ouvert ; deux analyses provisoires successives permettraient, par "
    "différence, de retrouver les réponses d'un foyer. Seule l'analyse d'une période dont "
    "les cycles sont clos se publie."
)


def provisional(period: Period, *, open_since: date | None) -> bool:
    """May the analysis's figures still move? When a cycle of the campaign is still open
    (``open_since``: the local date the earliest open one started) and the period reaches
    it (open-ended, or ending on that date or later): its households may still be reached,
    answer, be oriented."""
    return open_since is not None and (period.end is None or period.end >= open_since)


def month_label(moment: datetime, zone: ZoneInfo) -> tuple[int, int]:
    local = moment.astimezone(zone)
    return local.year, local.month


def _month_text(month: tuple[int, int]) -> str:
    return f"{MONTH_NAMES[month[1] - 1]} {month[0]}"


def _area(district: str | None) -> str:
    return district.strip() if district and district.strip() else NO_DISTRICT


Counts = tuple[Sequence[str], Sequence[str], list[list[int]]]


def _counts(
    rows: Sequence[str], columns: Sequence[str], facts: Iterable[tuple[str, str, object]]
) -> Counts:
    """Counts of distinct ``(row, column, who)`` facts."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row, column, _ in set(facts):
        counts[(row, column)] += 1
    return rows, columns, [[counts[(row, column)] for column in columns] for row in rows]


def _count(
    rows: Sequence[str],
    columns: Sequence[str],
    facts: Iterable[tuple[str, str, object]],
    threshold: int,
) -> PublishedTable:
    return publish(*_counts(rows, columns, facts), threshold)


def compute_needs(
    rows: NeedsRows, *, period: Period, threshold: int, zone: ZoneInfo, now: datetime
) -> NeedsReport:
    """The campaign's needs analysis over ``period`` (pure)."""
    sheets = [s for s in rows.sheets if period.holds(s.at, zone)]
    orientations = [o for o in rows.orientations if period.holds(o.at, zone)]
    follow_ups = [f for f in rows.follow_ups if period.holds(f.at, zone)]
    members = [m for m in rows.members if period.holds(m.cycle_started_at, zone)]
    areas = sorted(
        {_area(m.district) for m in members}
        | {_area(s.district) for s in sheets}
        | {_area(o.district) for o in orientations}
        | {_area(f.district) for f in follow_ups},
        key=lambda a: (a == NO_DISTRICT, a),
    )
    kinds = [NEED_KIND_LABELS[kind] for kind in NeedKind]
    sheet_months = sorted({month_label(s.at, zone) for s in sheets})
    needs_of = [(s, needs_answered(s.answers)) for s in sheets]
    by_area, by_month = publish_linked(
        _counts(
            kinds,
            areas,
            (
                (NEED_KIND_LABELS[k], _area(s.district), s.person_id)
                for s, needs in needs_of
                for k in needs
            ),
        ),
        _counts(
            kinds,
            [_month_text(m) for m in sheet_months],
            (
                (NEED_KIND_LABELS[k], _month_text(month_label(s.at, zone)), s.person_id)
                for s, needs in needs_of
                for k in needs
            ),
        ),
        threshold,
    )
    tables = [
        NeedsTable(
            "besoins_quartier",
            "Besoins exprimés, par type et par quartier",
            "Besoin",
            "ménages",
            by_area,
        ),
        NeedsTable(
            "besoins_mois", "Besoins exprimés, par type et par mois", "Besoin", "ménages", by_month
        ),
        NeedsTable(
            "attentes_quartier",
            "Attentes exprimées, par quartier",
            "Attente",
            "ménages",
            _count(
                [label for _, label in EXPECTATIONS],
                areas,
                (
                    (label, _area(s.district), s.person_id)
                    for s in sheets
                    for question, label in EXPECTATIONS
                    if s.answers.get(question) is True
                ),
                threshold,
            ),
        ),
        NeedsTable(
            "orientations",
            "Orientations faites, par type de ressource et par manière",
            "Type de ressource",
            "orientations",
            _orientations(orientations, kinds, threshold),
        ),
        NeedsTable(
            "suivis",
            "Appels de suivi programmés, par mois et par quartier",
            "Mois",
            "suivis",
            _by_month_and_area(follow_ups, areas, zone, threshold),
        ),
        NeedsTable(
            "joignabilite",
            "Ménages joints et non joints, par quartier (par cycle)",
            "Ménages",
            "ménages",
            _count(
                ["Joints", "Non joints"],
                areas,
                (
                    (
                        "Joints" if SPOKEN_WITH.intersection(m.dispositions) else "Non joints",
                        _area(m.district),
                        (m.person_id, m.cycle_id),
                    )
                    for m in members
                ),
                threshold,
            ),
        ),
    ]
    return NeedsReport(
        rows.campaign_id,
        rows.campaign_name,
        period,
        threshold,
        now,
        zone,
        tuple(tables),
        provisional=provisional(
            period,
            open_since=rows.open_since.astimezone(zone).date() if rows.open_since else None,
        ),
    )


def _orientations(
    facts: Sequence[OrientationFacts], kinds: Sequence[str], threshold: int
) -> PublishedTable:
    modes = [ORIENTATION_MODE_LABELS[mode] for mode in OrientationMode]
    counted = [
        (
            NEED_KIND_LABELS[NeedKind(o.need)],
            ORIENTATION_MODE_LABELS[OrientationMode(o.mode)],
            index,
        )
        for index, o in enumerate(facts)
    ]
    return _count(kinds, modes, counted, threshold)


def _by_month_and_area(
    facts: Sequence[FollowUpFacts], areas: Sequence[str], zone: ZoneInfo, threshold: int
) -> PublishedTable:
    months = sorted({month_label(f.at, zone) for f in facts})
    counted = [
        (
            _month_text(month_label(f.at, zone)),
            _area(f.district),
            index,
        )
        for index, f in enumerate(facts)
    ]
    return _count([_month_text(m) for m in months], areas, counted, threshold)


def shown(value: int | None, threshold: int) -> Cell:
    """A published entry as the exports write it: the count, or « secret »
    (:data:`~dialer.core.labels.SUPPRESSED_CELL`) whatever its size."""
    del threshold  # the notice says it
    return SUPPRESSED_CELL if value is None else value


def as_table(needs: NeedsTable) -> Table:
    """One table of the analysis in the reports' shape (CSV, XLSX, PDF), with its totals."""
    p = needs.published
    t = p.threshold
    body: list[tuple[Cell, ...]] = [
        (label, *(shown(v, t) for v in p.cells[i]), shown(p.row_totals[i], t))
        for i, label in enumerate(p.rows)
    ]
    body.append(("Total", *(shown(v, t) for v in p.column_totals), shown(p.total, t)))
    return Table(needs.key, needs.title, (needs.row_header, *p.columns, "Total"), tuple(body))


def report_tables(report: NeedsReport) -> list[Table]:
    return [as_table(needs) for needs in report.tables]


def period_bound(value: object, *, last: bool) -> object:
    """A month « AAAA-MM » as the period's first day (``last``: its last day); anything
    else as given (a date « AAAA-MM-JJ » is read by the caller)."""
    if isinstance(value, str) and len(value.strip()) == 7 and value.strip()[4] == "-":
        try:
            first = date.fromisoformat(value.strip() + "-01")
        except ValueError:
            return value
        if not last:
            return first
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return value


def checked_period(start: date | None, end: date | None) -> Period:
    """The period asked for, in whole calendar months (or open on either side: the whole
    campaign, from a month, up to a month); :class:`InputError` naming ``to`` when it
    ends before it starts, ``from`` / ``to`` when it does not start on the first of a month
    or end on the last day of one. Two analyses of any days a day apart would tell, by
    difference, what a single household answered that day, whatever the small cells
    suppressed in each."""
    if start is not None and end is not None and end < start:
        raise InputError("champ « to » : la fin de la période précède son début")
    if start is not None and start.day != 1:
        raise InputError(
            "champ « from » : une période commence le 1er d'un mois (des périodes au jour "
            "près permettraient, par différence, de retrouver un foyer)"
        )
    if end is not None and (end + timedelta(days=1)).day != 1:
        raise InputError(
            "champ « to » : une période finit le dernier jour d'un mois (des périodes au jour "
            "près permettraient, par différence, de retrouver un foyer)"
        )
    return Period(start, end)
