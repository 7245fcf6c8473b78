"""Which campaigns an agent serves, and which campaign gets a free agent.

An agent serves the campaigns stored for them (agent ↔ campaign, with a priority: the
higher wins); an agent with none stored serves every campaign that runs (so a setup with
one campaign and no assignment works as before). Each agent's seat counts in the pacing of
one campaign only, its *home*: the running campaign it serves with the highest priority
(ties: the campaign attached first). An answered call of campaign X is joined to a ready
agent serving X, those whose home is X first (ready the longest first), then any other
agent serving X rather than abandoning the person.

Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

#: campaign id → priority (the higher wins)
Served = Mapping[int, int]

#: the priority of an assignment made without one
DEFAULT_PRIORITY = 1
#: the priorities a supervisor may give
PRIORITY_RANGE = range(1, 101)


def serves(served: Served | None, campaign: int | None) -> bool:
    """Whether an agent serving ``served`` (none stored: every campaign) serves
    ``campaign`` (``None``: the engine's one campaign, served by everyone)."""
    return campaign is None or not served or campaign in served


def in_priority_order(served: Served | None, running: Sequence[int]) -> list[int]:
    """The ``running`` campaigns the agent serves, highest priority first (ties: the order
    of ``running``)."""
    if not served:
        return list(running)
    order = {campaign: rank for rank, campaign in enumerate(running)}
    mine = [c for c in running if c in served]
    return sorted(mine, key=lambda c: (-served[c], order[c]))


def home_of(served: Served | None, running: Sequence[int]) -> int | None:
    """The campaign whose pacing counts the agent: the first of :func:`in_priority_order`;
    ``None`` when it serves none of the ``running`` campaigns."""
    mine = in_priority_order(served, running)
    return mine[0] if mine else None


def agents_of(
    campaign: int | None,
    agents: Iterable[str],
    serving: Mapping[str, Served],
    running: Sequence[int],
) -> list[str]:
    """The ``agents`` whose seat counts in ``campaign``'s pacing (``None``: all of them)."""
    if campaign is None:
        return list(agents)
    return [a for a in agents if home_of(serving.get(a), running) == campaign]


def pick_agent(
    campaign: int | None,
    ready: Sequence[str],
    serving: Mapping[str, Served],
    running: Sequence[int],
) -> str | None:
    """The agent to join to a call of ``campaign`` among ``ready`` (ready the longest
    first): one whose home is ``campaign`` first, else any agent serving it; ``None``
    when no ready agent serves it."""
    if campaign is None:
        return ready[0] if ready else None
    serving_it = [a for a in ready if serves(serving.get(a), campaign)]
    home = [a for a in serving_it if home_of(serving.get(a), running) == campaign]
    if home:
        return home[0]
    return serving_it[0] if serving_it else None
