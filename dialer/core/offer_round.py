"""Who is asked to claim in one round of offers. A claim is a locking query: asking every
ready agent each tick, when nobody can be offered anything, costs one query per agent per
second. The round reads the people due once (:class:`Offerable`: whose they are) and asks
only the agents something is there for: each owner first for their own call-back or
follow-up, then the others, ready the longest first, as long as a person is left for them.
The claim stays the authority (it may still find nobody: taken meanwhile)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Offerable:
    """A person due for an agent reserved first, not claimed yet. ``owner``: the agent
    whose own call-back or follow-up it is, within its grace (None: anyone's); ``taker``:
    the only account the household goes to (assigned to it, or its last volunteer in a
    veille-sociale cycle; None: anyone serving the campaign)."""

    person_id: int
    owner: str | None = None
    taker: str | None = None

    def for_agent(self, agent: str) -> bool:
        return self.owner in (None, agent) and self.taker in (None, agent)


def agents_to_ask(
    ready: Sequence[str],
    due: Sequence[Offerable],
    passed: Mapping[str, Collection[int]],
    count: int,
) -> list[str]:
    """The agents of ``ready`` (ready the longest first) to ask for a claim, in order, at
    most ``count`` and never more than people ``due``: the owners of a due call-back
    first, then each other agent a person is left for (one only they may take, else
    anyone's), skipping the people an agent just ``passed``."""
    left = list(due)
    asked: list[str] = []

    def give(agent: str, owned: bool = False, kept: bool = False) -> bool:
        """A person left for ``agent`` (``owned``: their own call-back; ``kept``: one only
        they may take)."""
        skipped = passed.get(agent, ())
        for person in left:
            wanted = (not owned or person.owner == agent) and (
                not kept or agent in (person.owner, person.taker)
            )
            if wanted and person.for_agent(agent) and person.person_id not in skipped:
                left.remove(person)
                asked.append(agent)
                return True
        return False

    for agent in ready:
        if len(asked) >= count:
            return asked
        give(agent, owned=True)
    for agent in ready:
        if len(asked) >= count:
            break
        if agent not in asked and not give(agent, kept=True):
            give(agent)
    return asked
