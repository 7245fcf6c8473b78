"""The rows a report is computed from: a plain, immutable copy of the ledger's slice for one
campaign (all its cycles, or one). Loaded by :mod:`dialer.reports.repository`, read by
:mod:`dialer.reports.figures`; nothing here touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dialer.core.attempts import CycleResult
from dialer.core.outcomes import CallOutcome


@dataclass(frozen=True)
class CampaignRow:
    id: int
    name: str
    kind: str
    questionnaire_id: str
    questionnaire_version: str
    state: str
    created_at: datetime


@dataclass(frozen=True)
class CycleRow:
    id: int
    number: int
    started_at: datetime
    deadline: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class PersonRow:
    id: int
    external_id: str
    last_name: str
    first_name: str
    address: str | None
    postcode: str | None
    city: str | None
    district: str | None
    phones: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def full_address(self) -> str:
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(part for part in (self.address, place) if part)


@dataclass(frozen=True)
class AttemptRow:
    id: str
    cycle_id: int
    person_id: int
    number: str
    state: str
    outcome: CallOutcome | None
    planned_for: datetime
    placed_at: datetime | None
    answered_at: datetime | None
    bridged_at: datetime | None
    ended_at: datetime | None
    wrap_up_done_at: datetime | None
    agent: str | None
    disposition: str | None


@dataclass(frozen=True)
class SheetRow:
    id: int
    attempt_id: str
    cycle_id: int
    person_id: int
    agent: str
    disposition: str | None
    complete: bool
    submitted_at: datetime | None


@dataclass(frozen=True)
class ResultRow:
    cycle_id: int
    person_id: int
    result: CycleResult
    decided_at: datetime
    note: str


@dataclass(frozen=True)
class AlertRow:
    id: int
    cycle_id: int
    person_id: int
    team: str | None
    need: str
    priority: int
    message: str
    risk_level: str | None
    raised_by: str
    raised_at: datetime
    state: str
    escalation_level: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class LedgerSlice:
    """One campaign's rows; ``cycles`` are those of the report (one, or all)."""

    campaign: CampaignRow
    cycles: tuple[CycleRow, ...]
    #: ``(cycle id, person id)`` of everyone on the cycles' register (the schedule's
    #: snapshot, plus anyone the ledger has an attempt or a result for)
    members: frozenset[tuple[int, int]]
    people: dict[int, PersonRow]
    attempts: tuple[AttemptRow, ...]
    sheets: tuple[SheetRow, ...]
    results: tuple[ResultRow, ...]
    alerts: tuple[AlertRow, ...]
    #: useful contacts of the campaign's earlier cycles (for the billing's volume bands)
    earlier_useful_contacts: int = 0
    all_cycles: bool = field(default=True)

    @property
    def cycle_numbers(self) -> dict[int, int]:
        return {cycle.id: cycle.number for cycle in self.cycles}
