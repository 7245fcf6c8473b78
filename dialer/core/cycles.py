"""The cycles of an alert episode: when the service closes one and opens the next, and
why a person the cycle did not reach is on the field teams' never-reached list.

While the episode lasts, a cycle runs from its start to its deadline (the cycle length
after it, 48 h by default). At the deadline the cycle is closed; the next one opens on the
same grid, the cycle length after the previous start (back to back). A controller that was
down over one or more slots opens, when it starts again, the one slot that contains
``now`` (missed slots are skipped, never replayed). Once the episode has ended, the open
cycle is closed at once and none is opened. Pure rules, ``now`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.core.planning import Cycle, DoneReason, next_cycle
from dialer.core.windows import to_utc


class NeverReachedReason(StrEnum):
    """Why a person ends a cycle on the never-reached list."""

    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    DEADLINE_REACHED = "deadline_reached"  # after one attempt or more
    NEVER_ATTEMPTED = "never_attempted"  # the lines and agents did not reach them in time
    RELATIVE_NO_NEWS = "relative_no_news"  # their relative had no news (a visit at once)


def never_reached_reason(stopped: DoneReason | None, attempts: int) -> NeverReachedReason:
    """The reason for a person left without a final result: ``stopped`` is the planner's
    reason when it stopped planning (None: the cycle closed while they waited),
    ``attempts`` how many attempts of the cycle were dialled."""
    if stopped is DoneReason.ATTEMPTS_EXHAUSTED:
        return NeverReachedReason.ATTEMPTS_EXHAUSTED
    if attempts == 0:
        return NeverReachedReason.NEVER_ATTEMPTED
    return NeverReachedReason.DEADLINE_REACHED


@dataclass(frozen=True)
class CycleStep:
    """What the service does now: close ``close`` (a cycle number), then open ``open``."""

    close: int | None = None
    open: Cycle | None = None

    @property
    def nothing(self) -> bool:
        return self.close is None and self.open is None


def cycle_step(
    last: Cycle | None,
    *,
    last_closed: bool,
    episode_active: bool,
    now: datetime,
    length: timedelta | None = None,
) -> CycleStep:
    """The step due at ``now`` for an episode whose latest cycle is ``last``.

    The open cycle is closed at its deadline, or at once when the episode has ended; the
    next is opened (while the episode lasts) when ``now`` is at or after the previous
    cycle's deadline: the grid slot containing ``now``, ``length`` long (the campaign's
    cycle length; default: the previous cycle's).
    """
    now = to_utc(now)
    if last is None:
        return CycleStep()
    close = None
    if not last_closed and (not episode_active or now >= last.deadline):
        close = last.index
    following = next_cycle(last, alert_active=episode_active, now=now, length=length)
    return CycleStep(close=close, open=following)
