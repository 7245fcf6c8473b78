"""Who takes a household of a veille-sociale campaign that calls in: their own volunteer
when possible (continuity, issue #21). Pure, ``now`` passed in.

The household's own volunteer is the account it is assigned to in the campaign, else the
trained, active volunteer who last talked to it (as for the calls we place,
:func:`dialer.core.volunteer_desk.offered_to`). When they are free the call goes to them;
when they are logged in but busy (reserved, on a call, in wrap-up) the household waits for
them, up to a bound (``dialing.own_volunteer_wait_s``, cut so that a fallback remains
before the caller's own wait ends); when they are not on duty (logged out, paused, or no
longer serving the campaign), or once the bound has passed, any trained volunteer serving
the campaign takes it. The callers of any other kind of campaign are not concerned (the
emergency desks are served first, as before).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from dialer.core.agent_states import AgentState
from dialer.core.campaigns import CampaignKind

#: what the own volunteer's wait leaves, at least, of the caller's wait for anyone else
FALLBACK_MARGIN = timedelta(seconds=5)
_BUSY = frozenset({AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})


class Presence(StrEnum):
    """Where the household's own volunteer is."""

    #: ready, serving the campaign: the call goes to them now
    FREE = "free"
    #: logged in, serving the campaign, taken by another call or its wrap-up
    BUSY = "busy"
    #: logged out, paused, or not serving the campaign: not on duty for it
    ABSENT = "absent"


class InboundRoute(StrEnum):
    """Who may take the waiting call now."""

    #: the household's own volunteer, and nobody else
    OWN = "own"
    #: nobody yet: their own volunteer is busy and the household waits for them
    WAIT = "wait"
    #: any agent of the campaign allowed to take it (a trained volunteer serving it)
    ANYONE = "anyone"


def own_volunteer(assigned_to: str | None, last_volunteer: str | None) -> str | None:
    """The household's own volunteer: the account it is assigned to, else the trained,
    active volunteer who last talked to it (continuity); None: nobody yet."""
    return assigned_to if assigned_to is not None else last_volunteer


def presence(state: AgentState | None, *, serves_campaign: bool) -> Presence:
    """Where the own volunteer is, from their seat's ``state`` (``None``: no seat)."""
    if state is None or not serves_campaign:
        return Presence.ABSENT
    if state is AgentState.READY:
        return Presence.FREE
    return Presence.BUSY if state in _BUSY else Presence.ABSENT


def own_volunteer_wait(bound: timedelta, caller_wait: timedelta) -> timedelta:
    """How long a household may wait for its busy volunteer: ``bound`` (the setting), cut
    to leave :data:`FALLBACK_MARGIN` of the caller's wait (``caller_wait``, after which the
    dialplan promises a call back) for another volunteer; never negative."""
    return max(timedelta(0), min(bound, caller_wait - FALLBACK_MARGIN))


def inbound_route(
    kind: CampaignKind | None,
    own: str | None,
    where: Presence,
    *,
    arrived_at: datetime,
    now: datetime,
    wait: timedelta,
) -> InboundRoute:
    """Who may take, at ``now``, the call of a household arrived at ``arrived_at`` on the
    register of a campaign of ``kind``, whose own volunteer is ``own`` (``where``), when
    it may wait ``wait`` for them (:func:`own_volunteer_wait`)."""
    if kind is not CampaignKind.VEILLE_SOCIALE or own is None:
        return InboundRoute.ANYONE
    if where is Presence.FREE:
        return InboundRoute.OWN
    if where is Presence.BUSY and now - arrived_at < wait:
        return InboundRoute.WAIT
    return InboundRoute.ANYONE
