"""Pacing statistics: the live figures of one campaign the pacer decides from
(:class:`PacingSnapshot`), its agents' states and the observed durations' summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialer.core.agent_states import AgentState
from dialer.errors import InputError


@dataclass(frozen=True, slots=True)
class DurationStats:
    """An observed duration's summary, in seconds: mean, coefficient of variation and the
    number of observations."""

    mean: float
    cv: float
    count: int = 0

    def __post_init__(self) -> None:
        if not self.mean > 0 or not math.isfinite(self.mean):
            raise InputError(f"duration mean must be > 0 s, got {self.mean}")
        if not self.cv >= 0 or not math.isfinite(self.cv):
            raise InputError(f"duration cv must be >= 0, got {self.cv}")
        if self.count < 0:
            raise InputError(f"duration count must be >= 0, got {self.count}")


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    """One logged-in agent: state and seconds spent in it (talk time so far when ON_CALL,
    wrap-up time so far when WRAP_UP)."""

    state: AgentState
    seconds_in_state: float = 0.0


@dataclass(frozen=True, slots=True)
class PacingSnapshot:
    """Live statistics of one campaign at ``now``.

    ``dialing``: for each call dialing or ringing (not answered yet), the seconds since it was
    launched. ``answered_waiting``: live persons answered and not yet given to an agent.
    ``recent_dials`` / ``recent_live_answers``: dials whose outcome became known in the
    recent window (15 min) and how many of them a person answered. ``talk``, ``wrap_up``,
    ``time_to_answer`` (dial to live answer): observed summaries, ``None`` before the first
    observation. ``lines_available``: outbound channels free right now on the telephony
    nodes. ``closes_at``: end of the calling window.
    """

    now: datetime
    closes_at: datetime
    agents: tuple[AgentSnapshot, ...]
    dialing: tuple[float, ...] = ()
    answered_waiting: int = 0
    live_answers_today: int = 0
    abandons_today: int = 0
    recent_dials: int = 0
    recent_live_answers: int = 0
    talk: DurationStats | None = None
    wrap_up: DurationStats | None = None
    time_to_answer: DurationStats | None = None
    lines_available: int = 0
    ring_timeout: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        for name in (
            "answered_waiting",
            "live_answers_today",
            "abandons_today",
            "recent_dials",
            "recent_live_answers",
            "lines_available",
        ):
            if getattr(self, name) < 0:
                raise InputError(f"pacing snapshot: {name} must be >= 0")
        if self.recent_live_answers > self.recent_dials:
            raise InputError("pacing snapshot: recent_live_answers > recent_dials")
        if self.abandons_today > self.live_answers_today:
            raise InputError("pacing snapshot: abandons_today > live_answers_today")
        if self.ring_timeout <= timedelta(0):
            raise InputError("pacing snapshot: ring_timeout must be > 0")
        if not all(age >= 0 for age in self.dialing):
            raise InputError("pacing snapshot: dialing ages must be >= 0 s")
