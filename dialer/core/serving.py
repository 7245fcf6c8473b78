"""Which campaigns an agent serves, and which campaign gets a free agent.

An agent serves the campaigns stored for them (agent ↔ campaign, with a priority: the
higher wins); an agent with none stored serves every campaign that runs (so a setup with
one campaign and no assignment works as before). Each agent's seat counts in the pacing of
one campaign only, its *home* (:func:`homes`): the running campaign it serves with the
highest priority, so when two campaigns have a call for one free agent the higher priority
wins. An answered call of campaign X is joined to a ready agent serving X, those whose home
is X first (ready the longest first), then any other agent serving X rather than abandoning
the person.

Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from dialer.core.campaigns import CampaignKind
from dialer.core.permissions import may_take_calls_of
from dialer.core.roles import Role

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


def homes(
    agents: Sequence[str], serving: Mapping[str, Served], running: Sequence[int]
) -> dict[str, int | None]:
    """Each agent's *home*, the campaign whose pacing counts their seat: for an agent with
    campaigns stored, the running one they serve with the highest priority; for an agent
    with none (they serve every campaign), the running campaign with the fewest agents so
    far (ties: the one attached first), so that two campaigns share them rather than both
    counting on them. ``None``: none of the ``running`` campaigns is theirs."""
    home: dict[str, int | None] = {}
    count = dict.fromkeys(running, 0)
    free = []
    for agent in agents:
        served = serving.get(agent)
        if not served:
            free.append(agent)
            continue
        mine = in_priority_order(served, running)
        home[agent] = mine[0] if mine else None
        if mine:
            count[mine[0]] += 1
    for agent in free:
        if not running:
            home[agent] = None
            continue
        fewest = min(running, key=lambda c: count[c])
        home[agent] = fewest
        count[fewest] += 1
    return home


def may_join(agent: str, kind: CampaignKind | None, volunteers: Collection[str]) -> bool:
    """May ``agent``'s seat be joined to a call of a campaign of ``kind`` (``None``: its
    campaign is unknown, stopped or ended while it rang, or a call resumed after a restart
    with several campaigns)? An agent's always; a volunteer's (``agent`` in
    ``volunteers``) only a veille-sociale call (:func:`may_take_calls_of`), never one whose
    campaign is unknown."""
    if agent not in volunteers:
        return True
    return kind is not None and may_take_calls_of(Role.VOLUNTEER, kind)


def answers_callers_first(kind: CampaignKind | None) -> bool:
    """Is a campaign of ``kind`` among those a caller on several registers reaches first?
    An emergency campaign's (or an unknown kind's) before a veille-sociale one: a
    household on both lists returning the heatwave's call reaches its agents, with its
    questionnaire and scoring, not a volunteer."""
    return kind is not CampaignKind.VEILLE_SOCIALE


def takes_unknown_callers(kind: CampaignKind | None) -> bool:
    """Does a campaign of ``kind`` (``None``: unknown) take the callers on no register,
    so that one waiting holds its dials? Its agents' screens let them find the person or
    note who called; not a veille-sociale campaign's volunteers, who have no such form
    (:func:`may_take_calls_of`: a volunteer takes nothing but its households)."""
    return kind is not CampaignKind.VEILLE_SOCIALE


def pick_agent(
    campaign: int | None,
    ready: Sequence[str],
    serving: Mapping[str, Served],
    home: Mapping[str, int | None],
) -> str | None:
    """The agent to join to a call of ``campaign`` among ``ready`` (ready the longest
    first): one whose home (:func:`homes`) is ``campaign`` first, else any agent serving
    it rather than abandon the person; ``None`` when no ready agent serves it."""
    if campaign is None:
        return ready[0] if ready else None
    serving_it = [a for a in ready if serves(serving.get(a), campaign)]
    at_home = [a for a in serving_it if home.get(a) == campaign]
    if at_home:
        return at_home[0]
    return serving_it[0] if serving_it else None
