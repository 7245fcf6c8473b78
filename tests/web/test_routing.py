"""Routing, escalation and retry rules (pure), with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.alerts.escalation import EscalationPolicy, RetryPolicy, next_escalation
from dialer.alerts.routing import Route, TeamScope, route
from dialer.errors import ConfigurationError

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)
NORD_SOCIAL = TeamScope(1, "Nord social", districts=["Nord"], needs=["social", "home_help"])
SUD = TeamScope(2, "Sud", districts=["Sud"])
URGENCES = TeamScope(3, "Urgences", needs=["medical_emergency"])
DEFAUT = TeamScope(4, "Veille générale", is_default=True)
TEAMS = [NORD_SOCIAL, SUD, URGENCES, DEFAUT]


def test_an_alert_goes_to_every_team_covering_district_and_need() -> None:
    assert route("social", "Nord", TEAMS) == Route((1,))
    assert route("medical", "Sud", TEAMS) == Route((2,))
    assert route("medical_emergency", "Sud", TEAMS) == Route((2, 3))


def test_districts_match_whatever_the_case_and_spaces() -> None:
    assert route("social", "  nord ", TEAMS) == Route((1,))


def test_when_no_team_covers_it_the_default_team_gets_it_and_says_so() -> None:
    assert route("housing", "Nord", TEAMS) == Route((4,), by_default=True)
    assert route("social", None, TEAMS) == Route((4,), by_default=True)


def test_without_a_default_team_the_alert_stays_unassigned() -> None:
    decision = route("housing", "Est", [NORD_SOCIAL, SUD])
    assert decision.unassigned
    assert decision.by_default


def test_escalation_delays_follow_the_priority_and_are_configurable() -> None:
    policy = EscalationPolicy()
    assert policy.first_deadline(1, T0) == T0 + timedelta(minutes=10)
    assert policy.first_deadline(2, T0) == T0 + timedelta(hours=1)
    assert policy.first_deadline(3, T0) == T0 + timedelta(hours=4)
    assert policy.first_deadline(4, T0) == T0 + timedelta(hours=24)
    custom = EscalationPolicy(
        {
            1: timedelta(minutes=5),
            2: timedelta(minutes=30),
            3: timedelta(hours=2),
            4: timedelta(hours=8),
        }
    )
    assert custom.first_deadline(1, T0) == T0 + timedelta(minutes=5)
    with pytest.raises(ConfigurationError):
        EscalationPolicy({1: timedelta(minutes=5)})


def test_escalation_walks_the_contact_list_then_stops() -> None:
    policy = EscalationPolicy()
    first = next_escalation(level=0, priority=1, contacts=2, now=T0, policy=policy)
    assert first is not None
    assert (first.level, first.next_deadline) == (1, T0 + timedelta(minutes=10))
    last = next_escalation(level=1, priority=1, contacts=2, now=T0, policy=policy)
    assert last is not None
    assert (last.level, last.next_deadline) == (2, None)
    assert next_escalation(level=2, priority=1, contacts=2, now=T0, policy=policy) is None
    assert next_escalation(level=0, priority=1, contacts=0, now=T0, policy=policy) is None


def test_retries_back_off_then_repeat_the_longest_wait_for_ever() -> None:
    retry = RetryPolicy()
    waits = [retry.next_try(n, T0) - T0 for n in (1, 2, 3, 4, 5, 6, 7, 50)]
    assert waits == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=15),
        timedelta(minutes=15),
        timedelta(minutes=15),
    ]
