"""Billing: what a campaign (or one cycle) costs the city, from a price grid.

Three parts, all in :class:`~decimal.Decimal` euros, each line rounded to the cent
(half up, as an invoice does):

- **useful contacts** (a completed questionnaire) priced by volume band: the first 5,000 at
  one unit price, the next at another... Bands count the campaign's contacts, so a cycle's
  contacts continue where the earlier cycles' left off (``earlier_contacts``);
- a **variable part by DMT**: the band of the average handling time gives a percentage
  (negative: a bonus, positive: a malus) applied to the contacts amount;
- a **set-up price** by questionnaire complexity (simple / medium / complex, from the
  number of questions and of skip rules), billed once per campaign.

Reconciliation with the ledger: :func:`reconcile` keeps one billed contact per person and
cycle, each traceable to the attempt (the call) it comes from, and flags any completed
questionnaire without a call in the ledger, and any duplicate.

Pure: no I/O, no clock. The price grid is read by :mod:`dialer.reports.price_grid`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from dialer.core.questionnaire import AllOf, AnyOf, Questionnaire

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to the cent, half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# ---- the price grid ---------------------------------------------------------------------
@dataclass(frozen=True)
class VolumeBand:
    """Contacts up to ``up_to`` (cumulative, inclusive; ``None``: no limit) at ``unit_price``."""

    up_to: int | None
    unit_price: Decimal


@dataclass(frozen=True)
class DmtBand:
    """An average handling time up to ``up_to_s`` seconds (inclusive; ``None``: no limit)
    adjusts the contacts amount by ``percent`` (negative: bonus, positive: malus)."""

    up_to_s: float | None
    percent: Decimal


@dataclass(frozen=True)
class SetupTier:
    """A questionnaire with at most ``max_questions`` questions and ``max_skip_rules`` skip
    rules (``None``: no limit) is of this tier; the first tier that fits applies."""

    name: str
    max_questions: int | None
    max_skip_rules: int | None
    price: Decimal


@dataclass(frozen=True)
class PriceGrid:
    contacts: tuple[VolumeBand, ...]
    dmt: tuple[DmtBand, ...]
    setup: tuple[SetupTier, ...]
    currency: str = "EUR"
    vat_percent: Decimal = Decimal(20)


def grid_problems(grid: PriceGrid) -> list[tuple[str, str]]:
    """``(field, reason)`` for everything wrong with ``grid`` (empty when it is sound)."""
    problems: list[tuple[str, str]] = []
    problems += _band_problems(
        "contacts", [band.up_to for band in grid.contacts], "up_to", "tranche de volume"
    )
    for index, band in enumerate(grid.contacts):
        if band.unit_price < 0:
            problems.append((f"contacts[{index}].unit_price", "prix négatif"))
    problems += _band_problems("dmt", [band.up_to_s for band in grid.dmt], "up_to_s", "bande DMT")
    for index, dmt in enumerate(grid.dmt):
        if dmt.percent <= -100:
            problems.append((f"dmt[{index}].percent", "doit être supérieur à -100"))
    if not grid.setup:
        problems.append(("setup", "au moins un niveau de complexité attendu"))
    for index, tier in enumerate(grid.setup):
        if tier.price < 0:
            problems.append((f"setup[{index}].price", "prix négatif"))
        if not tier.name.strip():
            problems.append((f"setup[{index}].name", "nom vide"))
    if grid.setup and (grid.setup[-1].max_questions, grid.setup[-1].max_skip_rules) != (
        None,
        None,
    ):
        problems.append(
            (
                f"setup[{len(grid.setup) - 1}]",
                "le dernier niveau ne doit avoir ni max_questions ni max_skip_rules",
            )
        )
    if grid.vat_percent < 0:
        problems.append(("vat_percent", "taux négatif"))
    return problems


def _band_problems(
    name: str, limits: Sequence[float | int | None], field: str, what: str
) -> list[tuple[str, str]]:
    if not limits:
        return [(name, f"au moins une {what} attendue")]
    problems: list[tuple[str, str]] = []
    previous: float = 0
    for index, limit in enumerate(limits):
        last = index == len(limits) - 1
        if limit is None and not last:
            problems.append((f"{name}[{index}].{field}", "seule la dernière tranche est ouverte"))
        elif limit is not None and last:
            problems.append((f"{name}[{index}].{field}", "la dernière tranche doit être ouverte"))
        elif limit is not None and limit <= previous:
            problems.append((f"{name}[{index}].{field}", "les limites doivent croître"))
        if limit is not None:
            previous = limit
    return problems


# ---- questionnaire complexity -----------------------------------------------------------
def skip_rule_count(questionnaire: Questionnaire) -> int:
    """The questions shown only on a condition (each ``show_if`` is one skip rule; an
    ``any_of``/``all_of`` counts each of its conditions)."""

    def size(condition: object) -> int:
        if isinstance(condition, AnyOf | AllOf):
            return sum(size(part) for part in condition.conditions)
        return 1

    return sum(size(q.show_if) for q in questionnaire.questions if q.show_if is not None)


def setup_tier(grid: PriceGrid, questions: int, skip_rules: int) -> SetupTier:
    """The first tier of the grid that fits (the last one always does)."""
    for tier in grid.setup:
        if (tier.max_questions is None or questions <= tier.max_questions) and (
            tier.max_skip_rules is None or skip_rules <= tier.max_skip_rules
        ):
            return tier
    return grid.setup[-1]


# ---- reconciliation with the ledger -----------------------------------------------------
@dataclass(frozen=True)
class CompletedSheet:
    """A submitted call sheet whose questionnaire is complete (a useful contact)."""

    sheet_id: int
    attempt_id: str
    person_id: int
    cycle_id: int
    agent: str
    submitted_at: datetime


@dataclass(frozen=True)
class LedgerCall:
    """What the ledger says of one attempt."""

    attempt_id: str
    person_id: int
    cycle_id: int
    #: an agent talked with the person (bridged_at set)
    bridged: bool


class IssueKind(StrEnum):
    NO_CALL = "no_call"  # the sheet's attempt is not in the ledger
    NOT_BRIDGED = "not_bridged"  # the ledger has the attempt but no agent talked
    MISMATCH = "mismatch"  # the ledger's attempt is another person's or cycle's
    DUPLICATE_ATTEMPT = "duplicate_attempt"  # two sheets for one attempt
    DUPLICATE_PERSON = "duplicate_person"  # a second useful contact, same person and cycle


@dataclass(frozen=True)
class ReconciliationIssue:
    kind: IssueKind
    sheet_id: int
    attempt_id: str
    person_id: int
    cycle_id: int


@dataclass(frozen=True)
class Reconciliation:
    #: the contacts billed, oldest first, each from one call of the ledger
    billed: tuple[CompletedSheet, ...]
    #: completed questionnaires not billed, and why
    issues: tuple[ReconciliationIssue, ...]
    #: attempts of the ledger (bridged, right person and cycle) with a complete questionnaire
    ledger_completed_attempts: int

    @property
    def billed_count(self) -> int:
        return len(self.billed)

    @property
    def balanced(self) -> bool:
        """Every completed-questionnaire call of the ledger is billed exactly once."""
        return not self.issues and self.billed_count == self.ledger_completed_attempts


def reconcile(sheets: Iterable[CompletedSheet], calls: Iterable[LedgerCall]) -> Reconciliation:
    """One billed contact per person and cycle (the first completed questionnaire), each
    tied to its call; everything else is an issue."""
    ledger = {call.attempt_id: call for call in calls}
    billed: list[CompletedSheet] = []
    issues: list[ReconciliationIssue] = []
    seen_attempts: set[str] = set()
    seen_people: set[tuple[int, int]] = set()
    valid_attempts: set[str] = set()

    def flag(kind: IssueKind, sheet: CompletedSheet) -> None:
        issues.append(
            ReconciliationIssue(
                kind, sheet.sheet_id, sheet.attempt_id, sheet.person_id, sheet.cycle_id
            )
        )

    for sheet in sorted(sheets, key=lambda s: (s.submitted_at, s.sheet_id)):
        call = ledger.get(sheet.attempt_id)
        if call is None:
            flag(IssueKind.NO_CALL, sheet)
        elif (call.person_id, call.cycle_id) != (sheet.person_id, sheet.cycle_id):
            flag(IssueKind.MISMATCH, sheet)
        elif not call.bridged:
            flag(IssueKind.NOT_BRIDGED, sheet)
        elif sheet.attempt_id in seen_attempts:
            flag(IssueKind.DUPLICATE_ATTEMPT, sheet)
        elif (sheet.cycle_id, sheet.person_id) in seen_people:
            valid_attempts.add(sheet.attempt_id)
            flag(IssueKind.DUPLICATE_PERSON, sheet)
        else:
            seen_attempts.add(sheet.attempt_id)
            seen_people.add((sheet.cycle_id, sheet.person_id))
            valid_attempts.add(sheet.attempt_id)
            billed.append(sheet)
    return Reconciliation(tuple(billed), tuple(issues), len(valid_attempts))


# ---- the bill ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BillLine:
    label: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Bill:
    contact_lines: tuple[BillLine, ...]
    contacts_amount: Decimal
    mean_handling_s: float | None
    dmt_percent: Decimal
    dmt_amount: Decimal
    setup_line: BillLine | None
    total_excluding_vat: Decimal
    vat_percent: Decimal
    vat_amount: Decimal
    total_including_vat: Decimal
    currency: str

    @property
    def setup_amount(self) -> Decimal:
        return self.setup_line.amount if self.setup_line else Decimal("0.00")


def contact_lines(grid: PriceGrid, contacts: int, *, earlier_contacts: int = 0) -> list[BillLine]:
    """Contacts number ``earlier_contacts + 1`` to ``earlier_contacts + contacts`` split
    over the volume bands, one line per band used."""
    lines: list[BillLine] = []
    first = earlier_contacts + 1
    last = earlier_contacts + contacts
    lower = 0
    for band in grid.contacts:
        upper = band.up_to
        start = max(first, lower + 1)
        end = last if upper is None else min(last, upper)
        if end >= start:
            quantity = Decimal(end - start + 1)
            span = f"{lower + 1:,}".replace(",", " ") + (
                f" à {upper:,}".replace(",", " ") if upper is not None else " et au-delà"
            )
            lines.append(
                BillLine(
                    label=f"Contacts utiles, tranche {span}",
                    quantity=quantity,
                    unit_price=band.unit_price,
                    amount=to_cents(quantity * band.unit_price),
                )
            )
        if upper is None:
            break
        lower = upper
    return lines


def dmt_band(grid: PriceGrid, mean_handling_s: float | None) -> DmtBand | None:
    if mean_handling_s is None:
        return None
    for band in grid.dmt:
        if band.up_to_s is None or mean_handling_s <= band.up_to_s:
            return band
    return grid.dmt[-1]


def compute_bill(
    grid: PriceGrid,
    *,
    contacts: int,
    earlier_contacts: int = 0,
    mean_handling_s: float | None,
    setup: SetupTier | None,
) -> Bill:
    """The bill for ``contacts`` useful contacts; ``setup`` is billed when given (once per
    campaign); no DMT part when nobody was handled (``mean_handling_s`` None)."""
    lines = tuple(contact_lines(grid, contacts, earlier_contacts=earlier_contacts))
    contacts_amount = sum((line.amount for line in lines), Decimal("0.00"))
    band = dmt_band(grid, mean_handling_s)
    percent = band.percent if band is not None else Decimal(0)
    dmt_amount = to_cents(contacts_amount * percent / 100)
    setup_line = (
        BillLine(
            label=f"Mise en place du questionnaire (niveau {setup.name})",
            quantity=Decimal(1),
            unit_price=setup.price,
            amount=to_cents(setup.price),
        )
        if setup is not None
        else None
    )
    total = contacts_amount + dmt_amount + (setup_line.amount if setup_line else Decimal(0))
    total = to_cents(total)
    vat = to_cents(total * grid.vat_percent / 100)
    return Bill(
        contact_lines=lines,
        contacts_amount=to_cents(contacts_amount),
        mean_handling_s=mean_handling_s,
        dmt_percent=percent,
        dmt_amount=dmt_amount,
        setup_line=setup_line,
        total_excluding_vat=total,
        vat_percent=grid.vat_percent,
        vat_amount=vat,
        total_including_vat=to_cents(total + vat),
        currency=grid.currency,
    )
