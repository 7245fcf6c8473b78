"""Who must not be dialled: a person's *holds*.

A hold keeps one person out of every campaign's calls, whatever the list or cycle:

* **opposition** (« ne plus appeler »): the person, or a relative on their behalf, asked
  never to be called again. Held until someone lifts it (the lift is kept as history). It
  is not a refusal of today's questionnaire (:attr:`CycleResult.REFUSED`), which ends only
  one cycle;
* **deceased**: held for ever, from the date the call (or visit) found it;
* **moved**: held while the register still shows the person as it did when the move was
  found (their register fingerprint): a re-import or an update that changes their record
  (a new address, a new number) lifts it, one that shows them unchanged does not;
* **hospitalised**: held for a set time (the campaign's ``hospitalised_hold``, 7 days by
  default), then the person is called again.

:func:`holds_person` is the one rule; the storage applies it in SQL where the dial queue
picks people (:mod:`dialer.storage.holds`), and each cycle's changes go back to the
register's owner (:mod:`dialer.reports.register_changes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.core.attempts import CycleResult
from dialer.core.windows import to_utc

#: a reason is a short free text
REASON_MAX_LENGTH = 500


class HoldKind(StrEnum):
    OPPOSITION = "opposition"
    DECEASED = "deceased"
    MOVED = "moved"
    HOSPITALISED = "hospitalised"


class OnBehalfOf(StrEnum):
    """Who asked for an opposition."""

    PERSON = "person"  # the person themself
    RELATIVE = "relative"  # a relative, on their behalf


#: the hold a person's final result of a cycle puts on them (the register kept true)
HOLD_OF_RESULT: dict[CycleResult, HoldKind] = {
    CycleResult.DECEASED: HoldKind.DECEASED,
    CycleResult.MOVED: HoldKind.MOVED,
    CycleResult.HOSPITALISED: HoldKind.HOSPITALISED,
    CycleResult.OPPOSED: HoldKind.OPPOSITION,
}


@dataclass(frozen=True)
class Hold:
    """One hold as stored. ``until``: hospitalised holds end then; ``fingerprint``: the
    register record a move was found on; ``lifted_at``: someone lifted it."""

    kind: HoldKind
    recorded_at: datetime
    until: datetime | None = None
    fingerprint: str | None = None
    lifted_at: datetime | None = None


def hold_until(
    kind: HoldKind, recorded_at: datetime, hospitalised_hold: timedelta
) -> datetime | None:
    """When a new hold of ``kind`` ends by itself: only hospitalised holds do."""
    return to_utc(recorded_at) + hospitalised_hold if kind is HoldKind.HOSPITALISED else None


def holds_person(hold: Hold, *, now: datetime, fingerprint: str) -> bool:
    """Does ``hold`` keep the person out of calls at ``now``, their register record being
    ``fingerprint`` now? (The module's rules; the SQL of :mod:`dialer.storage.holds`
    says the same.)"""
    now = to_utc(now)
    if hold.lifted_at is not None and to_utc(hold.lifted_at) <= now:
        return False
    if hold.until is not None and now >= to_utc(hold.until):
        return False
    return not (hold.kind is HoldKind.MOVED and hold.fingerprint != fingerprint)


def may_be_dialled(holds: Iterable[Hold], *, now: datetime, fingerprint: str) -> bool:
    """May the person be dialled at ``now``: no hold keeps them out."""
    return not any(holds_person(hold, now=now, fingerprint=fingerprint) for hold in holds)


def clean_reason(reason: str) -> str:
    """A reason as stored: stripped, at most :data:`REASON_MAX_LENGTH` characters, one line."""
    return " ".join(reason.split())[:REASON_MAX_LENGTH]
