"""Turning to a person's relative in the dial queue (rules in :mod:`dialer.core.relatives`).

The cycle's queue asks :func:`relative_dial` when the planner has no more attempt for a
person not reached (attempts used) and whenever it plans one within the lead time before
the deadline; the service's cycle keeper asks it for the people still waiting there
(:func:`turn_to_relatives`). A relative's call is a reserved call (kind ``RELATIVE``): an
agent is offered it with the person's record and the relative questionnaire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dialer.core.attempts import AttemptKind
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import Cycle, RetryPolicy
from dialer.core.relatives import RelativeState, relative_call_at
from dialer.core.windows import CallingWindows
from dialer.storage.database import SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Attempt, Person
from dialer.storage.people import PersonRepository
from dialer.storage.relatives import turn_to_relative, waiting_near_deadline


@dataclass(frozen=True)
class RelativeDial:
    at: datetime
    number: str


def relative_dial(
    person: Person,
    attempts: Sequence[Attempt],
    *,
    cycle: Cycle,
    attempts_exhausted: bool,
    now: datetime,
    windows: CallingWindows,
    policy: RetryPolicy,
) -> RelativeDial | None:
    """The call to ``person``'s relative due now or later in ``cycle``, or None.
    ``attempts``: the person's attempts (any kind, any cycle)."""
    in_cycle = [a for a in attempts if a.placed_at is not None and cycle.contains(a.placed_at)]
    relative_calls = [a for a in in_cycle if a.kind is AttemptKind.RELATIVE]
    contacted = any(
        a.outcome is CallOutcome.ANSWERED for a in in_cycle if a.kind is not AttemptKind.RELATIVE
    )
    state = RelativeState(
        has_relative=bool(person.contact_phone),
        objected=person.relative_objected,
        contacted=contacted,
        attempts_exhausted=attempts_exhausted,
        relative_calls=len(relative_calls),
        last_relative_call=max((a.placed_at for a in relative_calls if a.placed_at), default=None),
    )
    at = relative_call_at(state, now=now, cycle=cycle, windows=windows, policy=policy)
    if at is None or person.contact_phone is None:
        return None
    return RelativeDial(at, person.contact_phone)


async def turn_to_relatives(
    sessions: SessionFactory,
    *,
    cycle_id: int,
    cycle: Cycle,
    windows: CallingWindows,
    policy: RetryPolicy,
    now: datetime,
) -> int:
    """Within the lead time before ``cycle``'s deadline: the people still waiting for an
    automatic call, not reached, with a relative who may be called, get their relative's
    call instead (due at once, or at the next window instant). How many did."""
    if now < cycle.deadline - policy.relative_before_deadline or now >= cycle.deadline:
        return 0
    people = PersonRepository(sessions)
    ledger = AttemptLedger(sessions)
    turned = 0
    for member_id, person_id in await waiting_near_deadline(sessions, cycle_id):
        person = await people.get(person_id)
        attempts = await ledger.for_person(person_id)
        dial = relative_dial(
            person,
            attempts,
            cycle=cycle,
            attempts_exhausted=False,
            now=now,
            windows=windows,
            policy=policy,
        )
        if dial is None:
            continue
        if await turn_to_relative(sessions, member_id, due=dial.at, number=dial.number):
            turned += 1
    return turned
