"""Who is asked to claim in a round of offers (pure): nobody when nothing is due or all
that is due is someone else's; owners first for their own; never more than people due
nor than wanted; an agent is asked only when a person is there for them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialer.core.offer_round import Offerable, agents_to_ask

READY = ["a", "b", "c", "d"]


def test_nothing_due_asks_nobody() -> None:
    assert agents_to_ask(READY, [], {}, 4) == []


def test_a_call_back_of_an_agent_away_asks_nobody() -> None:
    assert agents_to_ask(READY, [Offerable(1, owner="away")], {}, 4) == []
    assert agents_to_ask(READY, [Offerable(1, taker="away")], {}, 4) == []


def test_the_owner_is_asked_first_though_ready_last() -> None:
    due = [Offerable(1), Offerable(2, owner="d")]
    assert agents_to_ask(READY, due, {}, 1) == ["d"]
    assert agents_to_ask(READY, due, {}, 4) == ["d", "a"]


def test_a_household_kept_for_its_volunteer_goes_to_them_and_the_rest_to_others() -> None:
    due = [Offerable(1, taker="a"), Offerable(2)]
    assert agents_to_ask(READY, due, {}, 4) == ["a", "b"]


def test_an_agent_who_passed_everyone_due_is_not_asked() -> None:
    assert agents_to_ask(READY, [Offerable(1)], {"a": (1,)}, 4) == ["b"]


def test_no_more_than_wanted() -> None:
    due = [Offerable(i) for i in range(10)]
    assert agents_to_ask(READY, due, {}, 2) == ["a", "b"]
    assert agents_to_ask(READY, due, {}, 0) == []


people = st.builds(
    Offerable,
    st.integers(0, 6),
    st.sampled_from([None, "a", "d", "away"]),
    st.sampled_from([None, "b", "d", "away"]),
)


@given(
    due=st.lists(people, max_size=8, unique_by=lambda o: o.person_id),
    passed=st.dictionaries(st.sampled_from(READY), st.lists(st.integers(0, 6), max_size=3)),
    count=st.integers(0, 5),
)
def test_each_agent_asked_has_someone_of_their_own(
    due: list[Offerable], passed: dict[str, list[int]], count: int
) -> None:
    asked = agents_to_ask(READY, due, passed, count)
    assert len(asked) == len(set(asked)) <= min(count, len(due))
    left = list(due)
    for agent in asked:  # a distinct person for each agent asked, one they may take
        mine = [o for o in left if o.for_agent(agent) and o.person_id not in passed.get(agent, [])]
        assert mine, (agent, asked)
        left.remove(next((o for o in mine if o.owner == agent), mine[0]))
    owners = [
        a
        for a in READY
        if any(
            o.owner == a and o.for_agent(a) and o.person_id not in passed.get(a, []) for o in due
        )
    ]
    if count >= len(owners):  # each owner of a call-back they may take is asked, first
        assert set(asked[: len(owners)]) == set(owners)
