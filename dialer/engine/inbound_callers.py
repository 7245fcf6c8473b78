"""Who a caller is, and who takes them: the campaigns whose register has the number, and,
for a household of a veille-sociale campaign, its own volunteer, whom it reaches when
possible (continuity, issue #21; the engine's side of :mod:`dialer.core.own_volunteer`).

When the call arrives, the desk of each veille-sociale campaign whose register has the
number names the household's own volunteer (:class:`HouseholdVolunteers`, a storage
look-up); at each serving the rule says who may take it now from where that volunteer's
seat is: them, nobody yet (they are busy: the household waits, up to the bound), or any
agent of the campaign allowed to take it (as for every other call coming in).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from dialer.core.agent_states import AgentState
from dialer.core.campaigns import CampaignKind
from dialer.core.own_volunteer import InboundRoute, Presence, inbound_route, presence
from dialer.core.seats import Seat
from dialer.core.serving import answers_callers_first, serves, takes_unknown_callers
from dialer.engine.inbound_desk import HouseholdVolunteers, InboundDesk, desk_of
from dialer.errors import DialerError

if TYPE_CHECKING:
    from dialer.engine.assignments import Assignment
    from dialer.engine.engine import DialingEngine
    from dialer.engine.inbound import WaitingCall

log = logging.getLogger(__name__)


def desks(engine: DialingEngine) -> list[tuple[Assignment, InboundDesk]]:
    """The campaigns assigned that take calls coming in: the emergency ones first, then
    in the order they were assigned (a caller is the person of the first whose register
    has the number: :func:`dialer.core.serving.answers_callers_first`)."""
    assignments = engine.campaign_assignments
    found = [
        (assignment, desk)
        for assignment in assignments
        if (desk := desk_of(assignment.queue)) is not None
    ]
    return sorted(  # stable: the order of assignment otherwise
        found,
        key=lambda pair: not answers_callers_first(assignments.kind_of(pair[0].campaign_id)),
    )


def unknown_desks(
    engine: DialingEngine, desks: list[tuple[Assignment, InboundDesk]]
) -> list[tuple[Assignment, InboundDesk]]:
    """The ``desks`` whose agents take a caller on no register (never a volunteer's)."""
    kind_of = engine.campaign_assignments.kind_of
    return [(a, desk) for a, desk in desks if takes_unknown_callers(kind_of(a.campaign_id))]


async def known_by(
    caller: str, desks: list[tuple[Assignment, InboundDesk]]
) -> frozenset[int | None]:
    """The campaigns whose register has ``caller`` (a database that fails: taken as
    known there, so the caller keeps the usual path); empty: on no register."""
    known: set[int | None] = set()
    for assignment, desk in desks:
        try:
            if await desk.knows(caller):
                known.add(assignment.campaign_id)
        except DialerError as exc:
            log.warning("incoming %s not looked up: %s", caller, exc)
            known.add(assignment.campaign_id)
    return frozenset(known)


async def look_up_own(
    engine: DialingEngine,
    call: WaitingCall,
    desks: list[tuple[Assignment, InboundDesk]],
    now: datetime,
) -> None:
    """Note in ``call.own`` the household's own volunteer in each veille-sociale campaign
    whose register has the number (a database that fails: nobody, the usual path)."""
    kind_of = engine.campaign_assignments.kind_of
    for assignment, desk in desks:
        campaign_id = assignment.campaign_id
        if campaign_id not in call.campaigns or campaign_id is None:
            continue
        if kind_of(campaign_id) is not CampaignKind.VEILLE_SOCIALE:
            continue
        if not isinstance(desk, HouseholdVolunteers):
            continue
        try:
            own = await desk.household_volunteer(call.caller, at=now)
        except DialerError as exc:
            log.warning("own volunteer of incoming %s not looked up: %s", call.caller, exc)
            continue
        if own is not None:
            call.own[campaign_id] = own


def route(
    engine: DialingEngine,
    call: WaitingCall,
    campaign_id: int | None,
    now: datetime,
    wait: timedelta,
) -> InboundRoute:
    """Who may take ``call`` for ``campaign_id`` now (:func:`inbound_route`)."""
    assignments = engine.campaign_assignments
    own = call.own.get(campaign_id)
    where = Presence.ABSENT
    seat = next((s for s in engine.seats.seats() if s.agent == own), None)
    if own is not None and seat is not None:
        on_duty = serves(assignments.serving.get(own), campaign_id) and assignments.may_join(
            own, campaign_id
        )
        no_line = seat.state is AgentState.READY and seat.leg_id is None  # nothing to join
        where = presence(None if no_line else seat.state, serves_campaign=on_duty)
    return inbound_route(
        assignments.kind_of(campaign_id),
        own,
        where,
        arrived_at=call.arrived_at,
        now=now,
        wait=wait,
    )


def seat_for(
    engine: DialingEngine, call: WaitingCall, campaign_id: int | None, now: datetime
) -> Seat | None:
    """Reserve for ``call`` the seat :func:`route` names: the own volunteer's, or the one
    :meth:`dialer.engine.assignments.Assignments.reserve` picks; None: nobody free, or
    the household waits for its own volunteer (``call.awaiting`` says so)."""
    chosen = route(engine, call, campaign_id, now, engine.inbound.own_wait)
    call.awaiting = frozenset({campaign_id}) if chosen is InboundRoute.WAIT else frozenset()
    own = call.own.get(campaign_id)
    if chosen is InboundRoute.WAIT:
        return None
    if chosen is InboundRoute.OWN and own is not None:
        return engine.seats.reserve_agent(own, call.attempt_id, now)
    return engine.campaign_assignments.reserve(engine.seats, campaign_id, call.attempt_id, now)
