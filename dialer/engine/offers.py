"""People offered to agents before the dial: the agent is reserved first and sees the
person's record, then « Appeler » places the call (bridged to that agent, so it can never
be abandoned) or « Passer » gives the person back with a reason.

Two sources: a preview campaign offers everyone, as many as the pacer's ``offers``; in the
other modes, the reserved calls (an abandoned person's call-back, any dial within the
abandon quiet period, an agent's callback) are offered to ready agents before the pacer
places automatic dials, and the automatic dials hold back while reserved calls wait for an
agent. An optional countdown dials an offer by itself.

This module keeps the bookkeeping (who has which offer since when, whom each agent passed);
the engine does the claims and the dials.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialer.engine.ports import DialQueue, PlannedDial

#: the people an agent passed last, not offered to them again at once
PASSED_MEMORY = 20
#: how long a person an agent passed goes to other agents first
PASSED_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Offer:
    """``dial`` offered to an agent at ``offered_at``, taken from ``queue``."""

    dial: PlannedDial
    queue: DialQueue
    offered_at: datetime


class Offers:
    def __init__(self, countdown: timedelta | None = None) -> None:
        if countdown is not None and countdown <= timedelta(0):
            countdown = None
        #: an offer dials itself this long after it was made (None: never)
        self.countdown = countdown
        self._by_agent: dict[str, Offer] = {}
        self._passed: dict[str, deque[tuple[int, datetime]]] = {}

    def of(self, agent: str) -> Offer | None:
        return self._by_agent.get(agent)

    def by_attempt(self, attempt_id: str) -> str | None:
        """The agent ``attempt_id`` is offered to, if any."""
        return next((a for a, o in self._by_agent.items() if o.dial.attempt_id == attempt_id), None)

    def add(self, agent: str, offer: Offer) -> None:
        self._by_agent[agent] = offer

    def pop(self, agent: str) -> Offer | None:
        return self._by_agent.pop(agent, None)

    def all(self) -> dict[str, Offer]:
        return dict(self._by_agent)

    def passed(self, agent: str, person_id: int, now: datetime) -> None:
        self._passed.setdefault(agent, deque(maxlen=PASSED_MEMORY)).append((person_id, now))

    def passed_by(self, agent: str, now: datetime) -> tuple[int, ...]:
        """The people ``agent`` passed within :data:`PASSED_FOR` (others get them first)."""
        return tuple(p for p, at in self._passed.get(agent, ()) if now - at < PASSED_FOR)

    def counted_down(self, now: datetime) -> list[str]:
        """Agents whose offer's countdown has run out (it dials now)."""
        if self.countdown is None:
            return []
        return [a for a, o in self._by_agent.items() if now - o.offered_at >= self.countdown]

    def seconds_left(self, agent: str, now: datetime) -> int | None:
        offer = self._by_agent.get(agent)
        if offer is None or self.countdown is None:
            return None
        return max(0, int((offer.offered_at + self.countdown - now).total_seconds()))
