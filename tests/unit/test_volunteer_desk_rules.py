"""The volunteer's desk's pure rules: who is offered a household, which campaigns a
volunteer serves (never « every campaign »), what a volunteer sees of a call."""

from __future__ import annotations

import pytest

from dialer.core.campaigns import CampaignKind
from dialer.core.permissions import may_take_calls_of
from dialer.core.roles import Role
from dialer.core.serving import serves
from dialer.core.volunteer_desk import (
    NO_CAMPAIGN,
    checked_text,
    offered_to,
    volunteer_view,
    volunteers_serving,
)
from dialer.errors import InputError

V, E = CampaignKind.VEILLE_SOCIALE, CampaignKind.HEATWAVE


@pytest.mark.parametrize(
    ("taker", "role", "kind", "assigned", "last", "offered"),
    [
        ("ana", Role.VOLUNTEER, V, "ana", None, True),
        ("bea", Role.VOLUNTEER, V, "ana", "bea", False),  # assigned wins over continuity
        ("agent1", Role.AGENT, V, "ana", None, False),
        ("ana", Role.VOLUNTEER, V, None, "ana", True),
        ("bea", Role.VOLUNTEER, V, None, "ana", False),  # continuity
        ("bea", Role.VOLUNTEER, V, None, None, True),  # anybody
        ("ana", Role.VOLUNTEER, E, None, None, False),  # never an emergency campaign
        ("agent1", Role.AGENT, E, None, "ana", True),
    ],
)
def test_who_is_offered_a_household(
    taker: str, role: Role, kind: CampaignKind, assigned: str | None, last: str | None,
    offered: bool,
) -> None:  # fmt: skip
    assert (
        offered_to(taker, taker_role=role, kind=kind, assigned_to=assigned, last_volunteer=last)
        is offered
    )


def test_a_volunteer_serves_the_veille_sociale_campaigns_only() -> None:
    stored = {"agent1": {}, "ana": {1: 50, 3: 10}, "bea": {}}
    serving = volunteers_serving(stored, ["ana", "bea", "cleo"], [3, 4])
    assert serving["agent1"] == {}  # an agent with nothing stored serves everything
    assert serving["ana"] == {3: 10, NO_CAMPAIGN: 1}  # the heatwave 1 is dropped
    assert serving["bea"] == {3: 1, 4: 1, NO_CAMPAIGN: 1}
    assert serving["cleo"] == {3: 1, 4: 1, NO_CAMPAIGN: 1}
    none_running = volunteers_serving({}, ["ana"], [])
    assert not serves(none_running["ana"], 1)  # not « every campaign »
    assert not may_take_calls_of(Role.VOLUNTEER, E)
    assert may_take_calls_of(Role.AGENT, E)


def test_a_volunteer_sees_only_what_the_call_needs() -> None:
    view = {
        "number": "+33145678910",
        "person": {
            "id": 7, "first_name": "Jeanne", "last_name": "Dupont", "name": "Jeanne DUPONT",
            "birth_date": "02/09/1940", "age": 85, "address": "12 rue des Lilas",
            "postcode": "75019", "city": "Paris", "district": "19e",
            "phones": [{"e164": "+33600000000"}, {"e164": "+33145678910"}],
            "contact": {"name": "Paul"}, "flags": ["Suivi médical signalé"],
        },
        "history": {"attempts": [{"when": "x"}], "sheets": [{"score": 9}]},
    }  # fmt: skip
    seen = volunteer_view(view, [{"text": "bien"}])
    person = seen["person"]
    assert (person["name"], person["phones"]) == ("Jeanne DUPONT", [{"e164": "+33145678910"}])
    assert all(person[k] in (None, []) for k in ("birth_date", "address", "contact", "flags"))
    assert seen["history"] == {"attempts": [], "sheets": []}
    assert seen["debriefs"] == [{"text": "bien"}]
    with pytest.raises(InputError, match="« text »"):
        checked_text("  ", field="text")
    with pytest.raises(InputError, match="4000"):
        checked_text("x" * 4001, field="text")
