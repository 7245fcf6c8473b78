"""Who takes a veille-sociale household that calls in (:mod:`dialer.core.own_volunteer`):
their own volunteer when free, nobody while they are busy and the bound is not reached,
anyone otherwise; the callers of other campaigns are not concerned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.core.agent_states import AgentState
from dialer.core.campaigns import CampaignKind
from dialer.core.own_volunteer import (
    FALLBACK_MARGIN,
    InboundRoute,
    Presence,
    inbound_route,
    own_volunteer,
    own_volunteer_wait,
    presence,
)

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
V = CampaignKind.VEILLE_SOCIALE
WAIT = timedelta(seconds=20)


def test_the_assigned_volunteer_wins_over_continuity() -> None:
    assert own_volunteer("ana", "bea") == "ana"
    assert own_volunteer(None, "bea") == "bea"
    assert own_volunteer(None, None) is None


@pytest.mark.parametrize(
    ("state", "serving", "where"),
    [
        (AgentState.READY, True, Presence.FREE),
        (AgentState.RESERVED, True, Presence.BUSY),
        (AgentState.ON_CALL, True, Presence.BUSY),
        (AgentState.WRAP_UP, True, Presence.BUSY),
        (AgentState.PAUSED, True, Presence.ABSENT),
        (AgentState.LOGGED_OUT, True, Presence.ABSENT),
        (None, True, Presence.ABSENT),
        (AgentState.READY, False, Presence.ABSENT),  # no longer serving the campaign
        (AgentState.ON_CALL, False, Presence.ABSENT),
    ],
)
def test_presence_from_the_seat(state: AgentState | None, serving: bool, where: Presence) -> None:
    assert presence(state, serves_campaign=serving) is where


@pytest.mark.parametrize(
    ("where", "waited_s", "route"),
    [
        (Presence.FREE, 0, InboundRoute.OWN),
        (Presence.FREE, 300, InboundRoute.OWN),  # free at last, even late: still them
        (Presence.BUSY, 0, InboundRoute.WAIT),
        (Presence.BUSY, 19, InboundRoute.WAIT),
        (Presence.BUSY, 20, InboundRoute.ANYONE),  # the bound reached
        (Presence.ABSENT, 0, InboundRoute.ANYONE),  # not on duty: at once
    ],
)
def test_the_route_of_a_household(where: Presence, waited_s: int, route: InboundRoute) -> None:
    now = T0 + timedelta(seconds=waited_s)
    assert inbound_route(V, "ana", where, arrived_at=T0, now=now, wait=WAIT) is route


def test_a_household_with_nobody_of_its_own_goes_to_anyone() -> None:
    assert inbound_route(V, None, Presence.ABSENT, arrived_at=T0, now=T0, wait=WAIT) is (
        InboundRoute.ANYONE
    )


def test_the_wait_leaves_time_for_another_volunteer_before_the_call_back() -> None:
    assert (
        own_volunteer_wait(timedelta(seconds=60), timedelta(seconds=30))
        == timedelta(seconds=30) - FALLBACK_MARGIN
    )
    assert own_volunteer_wait(timedelta(seconds=10), timedelta(seconds=30)) == timedelta(seconds=10)
    assert own_volunteer_wait(timedelta(seconds=10), timedelta(seconds=5)) == timedelta(0)


kinds = st.sampled_from([*CampaignKind, None])
wheres = st.sampled_from(list(Presence))
owns = st.one_of(st.none(), st.sampled_from(["ana", "bea"]))
waits = st.integers(min_value=0, max_value=600).map(lambda s: timedelta(seconds=s))


@given(kind=kinds, own=owns, where=wheres, waited=waits, wait=waits)
def test_only_veille_households_with_a_volunteer_ever_wait_or_are_kept(
    kind: CampaignKind | None,
    own: str | None,
    where: Presence,
    waited: timedelta,
    wait: timedelta,
) -> None:
    route = inbound_route(kind, own, where, arrived_at=T0, now=T0 + waited, wait=wait)
    if kind is not V or own is None:
        assert route is InboundRoute.ANYONE  # emergency callers: as before
    if route is InboundRoute.OWN:
        assert where is Presence.FREE
    if route is InboundRoute.WAIT:  # only for a busy volunteer, and never past the bound
        assert where is Presence.BUSY
        assert waited < wait


@given(bound=waits, caller=waits)
def test_the_wait_never_outlasts_the_callers_wait(bound: timedelta, caller: timedelta) -> None:
    wait = own_volunteer_wait(bound, caller)
    assert timedelta(0) <= wait <= bound
    assert wait <= max(timedelta(0), caller - FALLBACK_MARGIN)
