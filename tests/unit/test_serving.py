"""Which campaign gets an agent (:mod:`dialer.core.serving`), table-tested."""

from __future__ import annotations

import pytest

from dialer.core.serving import homes, in_priority_order, pick_agent, serves

X, Y, Z = 1, 2, 3


@pytest.mark.parametrize(
    ("served", "campaign", "expected"),
    [
        ({}, X, True),  # none stored: every campaign
        ({X: 1}, X, True),
        ({X: 1}, Y, False),
        ({X: 1}, None, True),  # the engine's one campaign assigned without its id
    ],
)
def test_serves(served: dict[int, int], campaign: int | None, expected: bool) -> None:
    assert serves(served, campaign) is expected


@pytest.mark.parametrize(
    ("served", "running", "expected"),
    [
        ({X: 1, Y: 5}, [X, Y], [Y, X]),  # the higher priority first
        ({X: 5, Y: 1}, [X, Y], [X, Y]),
        ({X: 3, Y: 3}, [Y, X], [Y, X]),  # ties: the order of attachment
        ({X: 3, Z: 9}, [X, Y], [X]),  # Z does not run
        ({}, [X, Y], [X, Y]),
    ],
)
def test_in_priority_order(served: dict[int, int], running: list[int], expected: list[int]) -> None:
    assert in_priority_order(served, running) == expected


@pytest.mark.parametrize(
    ("serving", "running", "expected"),
    [
        # the higher priority wins the shared agent
        ({"a": {X: 1, Y: 5}}, [X, Y], {"a": Y}),
        # its higher-priority campaign paused (not running): the other one has it
        ({"a": {X: 1, Y: 5}}, [X], {"a": X}),
        # serving nothing that runs: counted nowhere
        ({"a": {Z: 1}}, [X, Y], {"a": None}),
        # agents with nothing stored are shared out, the fewest agents first
        ({"a": {X: 1}}, [X, Y], {"a": X, "b": Y, "c": X}),
        ({}, [X, Y], {"a": X, "b": Y, "c": X}),
        ({}, [], {"a": None, "b": None, "c": None}),
    ],
)
def test_homes(
    serving: dict[str, dict[int, int]], running: list[int], expected: dict[str, int | None]
) -> None:
    agents = sorted({"a", *expected})
    assert homes(agents, serving, running) == {a: expected[a] for a in agents}


@pytest.mark.parametrize(
    ("campaign", "ready", "serving", "home", "expected"),
    [
        # ready the longest among its own agents
        (X, ["b", "a"], {"a": {X: 1}, "b": {Y: 1}}, {"a": X, "b": Y}, "a"),
        # its own agent before another's, even one ready longer who also serves it
        (X, ["b", "a"], {"a": {X: 1}, "b": {X: 1, Y: 5}}, {"a": X, "b": Y}, "a"),
        # nobody of its own ready: another agent serving it rather than an abandon
        (X, ["b"], {"b": {X: 1, Y: 5}}, {"b": Y}, "b"),
        # never an agent who does not serve it
        (X, ["b"], {"b": {Y: 1}}, {"b": Y}, None),
        (X, [], {}, {}, None),
        # the engine's one campaign: the agent ready the longest
        (None, ["b", "a"], {"a": {X: 1}}, {}, "b"),
    ],
)
def test_pick_agent(
    campaign: int | None,
    ready: list[str],
    serving: dict[str, dict[int, int]],
    home: dict[str, int | None],
    expected: str | None,
) -> None:
    assert pick_agent(campaign, ready, serving, home) == expected
