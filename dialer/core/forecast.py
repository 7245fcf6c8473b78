"""The cycle's forecast at the current pace, for the live dashboard.

Pure and synchronous: the dashboard gathers the cycle's figures (:class:`CycleFigures`,
``now`` included) and :func:`forecast` answers three questions:

1. **When will the cycle's attempts be exhausted?** ``attempts_left / attempts_per_hour``
   hours of *calling time* (the calling windows' open time, see
   :mod:`dialer.core.windows`), counted from ``now``: the instant, possibly after the
   deadline (``exhausted_before_deadline`` says which); ``now`` when none is left; ``None``
   at zero pace (nothing is being dialled) or beyond :data:`EXHAUSTION_HORIZON`.
2. **What share of the register will have given a useful contact (a complete
   questionnaire) by the deadline?** The useful contacts so far plus those the agents make
   in the calling time left::

       future(n agents) = min(cap, rate_per_agent × n × calling hours left)

   ``rate_per_agent``: the recent useful contacts per hour divided by the agents logged in;
   when there is no recent contact (or no agent), the agents' capacity from the DMT:
   ``3600 / DMT × (useful contacts per handled call) × OCCUPANCY``; unknown without either
   (no forecast). ``cap``: no more contacts than people whose cycle is still open, nor
   than the attempts left can give at the recent yield (useful contacts per attempt).
   The share with the agents logged in now is the forecast; more agents never lower it.
3. **How many more agents reach the target in time?** The fewest ``n`` whose share reaches
   :data:`TARGET_FLOOR` (65 % of the register; the city aims at 65-70 %), minus the agents
   logged in; 0 when the forecast already reaches it; ``None`` when no staffing can (not
   enough people or attempts left, no calling time left) or the rate is unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialer.core.windows import CallingWindows, calling_time_between, open_intervals, to_utc
from dialer.errors import InputError

#: the useful-contact target: 65-70 % of the register; the forecast aims at the floor
TARGET_FLOOR = 0.65
TARGET_CEILING = 0.70
#: the share of an agent's logged-in time spent handling calls, for the DMT-based capacity
OCCUPANCY = 0.8
#: how far ahead the exhaustion instant is looked for
EXHAUSTION_HORIZON = timedelta(days=31)
#: more agents than this is "out of reach", not a number to show
MAX_AGENTS = 100_000
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class CycleFigures:
    """The cycle now. ``register``: people in the cycle; ``open_people``: those whose cycle
    is not over; ``attempts_left``: the attempts the retry policy still allows them (an
    upper bound); ``contacts``: useful contacts so far; the two paces are per hour of
    calling time over a recent window; ``agents``: agents logged in now;
    ``mean_handling_s``: the DMT (talk + wrap-up), None before the first handled call;
    ``useful_per_handled``: the share of handled calls ending with a complete
    questionnaire, None before the first one."""

    now: datetime
    deadline: datetime
    register: int
    open_people: int
    attempts_done: int
    attempts_left: int
    contacts: int
    attempts_per_hour: float
    contacts_per_hour: float
    agents: int
    mean_handling_s: float | None = None
    useful_per_handled: float | None = None

    def __post_init__(self) -> None:
        to_utc(self.now)
        to_utc(self.deadline)
        for name in ("register", "open_people", "attempts_done", "attempts_left", "contacts"):
            if getattr(self, name) < 0:
                raise InputError(f"cycle figures: {name} must be >= 0")
        if self.agents < 0:
            raise InputError("cycle figures: agents must be >= 0")
        for name in ("attempts_per_hour", "contacts_per_hour"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise InputError(f"cycle figures: {name} must be a finite number >= 0")
        if self.contacts > self.register or self.open_people > self.register:
            raise InputError("cycle figures: contacts and open_people cannot exceed register")
        if self.mean_handling_s is not None and not (
            self.mean_handling_s > 0 and math.isfinite(self.mean_handling_s)
        ):
            raise InputError("cycle figures: mean_handling_s must be > 0")
        if self.useful_per_handled is not None and not 0 <= self.useful_per_handled <= 1:
            raise InputError("cycle figures: useful_per_handled must be within [0, 1]")


@dataclass(frozen=True, slots=True)
class Forecast:
    calling_time_left: timedelta
    exhausted_at: datetime | None
    exhausted_before_deadline: bool | None
    contacts_per_agent_hour: float | None
    projected_contacts: float | None
    projected_share: float | None
    target_share: float
    target_contacts: float
    #: enough people and attempts are left for the target, whatever the staffing
    target_reachable: bool
    more_agents_needed: int | None


def forecast(figures: CycleFigures, windows: CallingWindows) -> Forecast:
    """The three answers (module docstring) for ``figures``."""
    hours = calling_hours_left(figures, windows)
    exhausted = exhaustion_time(
        windows, figures.now, figures.attempts_left, figures.attempts_per_hour
    )
    rate = contacts_per_agent_hour(figures)
    projected = projected_contacts(figures, hours, figures.agents)
    target = TARGET_FLOOR * figures.register
    return Forecast(
        calling_time_left=timedelta(hours=hours),
        exhausted_at=exhausted,
        exhausted_before_deadline=None
        if exhausted is None
        else exhausted <= to_utc(figures.deadline),
        contacts_per_agent_hour=rate,
        projected_contacts=projected,
        projected_share=_share(projected, figures.register),
        target_share=TARGET_FLOOR,
        target_contacts=target,
        target_reachable=target - figures.contacts <= _cap(figures) + _EPSILON,
        more_agents_needed=more_agents_needed(figures, hours),
    )


def calling_hours_left(figures: CycleFigures, windows: CallingWindows) -> float:
    """Open calling time between ``now`` and the deadline, in hours."""
    if to_utc(figures.now) >= to_utc(figures.deadline):
        return 0.0
    return calling_time_between(windows, figures.now, figures.deadline) / timedelta(hours=1)


def exhaustion_time(
    windows: CallingWindows,
    now: datetime,
    attempts_left: int,
    attempts_per_hour: float,
    *,
    horizon: timedelta = EXHAUSTION_HORIZON,
) -> datetime | None:
    """When ``attempts_left`` attempts are used up at ``attempts_per_hour`` per hour of
    calling time (UTC); ``now`` when none is left, ``None`` at zero pace or past
    ``horizon``."""
    now = to_utc(now)
    if attempts_left <= 0:
        return now
    if attempts_per_hour <= 0:
        return None
    hours = attempts_left / attempts_per_hour
    if not hours <= horizon / timedelta(hours=1):
        return None
    needed = timedelta(hours=hours)
    for start, end in open_intervals(windows, now, now + horizon):
        if end - start >= needed:
            return start + needed
        needed -= end - start
    return None


def contacts_per_agent_hour(figures: CycleFigures) -> float | None:
    """Useful contacts one agent makes per hour of calling time: observed when the recent
    window has some, else from the DMT, else unknown."""
    if figures.agents > 0 and figures.contacts_per_hour > 0:
        return figures.contacts_per_hour / figures.agents
    if figures.mean_handling_s is not None:
        useful = 1.0 if figures.useful_per_handled is None else figures.useful_per_handled
        return 3600.0 / figures.mean_handling_s * useful * OCCUPANCY
    return None


def _yield(figures: CycleFigures) -> float:
    """Useful contacts per attempt: recent, else the cycle's, else 1 (an upper bound)."""
    if figures.attempts_per_hour > 0 and figures.contacts_per_hour > 0:
        return min(1.0, figures.contacts_per_hour / figures.attempts_per_hour)
    if figures.attempts_done > 0 and figures.contacts > 0:
        return min(1.0, figures.contacts / figures.attempts_done)
    return 1.0


def _cap(figures: CycleFigures) -> float:
    """The most useful contacts still possible in the cycle, whatever the staffing."""
    return min(float(figures.open_people), figures.attempts_left * _yield(figures))


def projected_contacts(figures: CycleFigures, hours_left: float, agents: int) -> float | None:
    """Useful contacts by the deadline with ``agents`` logged in (None: rate unknown)."""
    rate = contacts_per_agent_hour(figures)
    if rate is None:
        return None
    future = min(_cap(figures), rate * max(0, agents) * max(0.0, hours_left))
    return figures.contacts + future


def projected_share(figures: CycleFigures, windows: CallingWindows, agents: int) -> float | None:
    """The register's share with a useful contact by the deadline, with ``agents``."""
    contacts = projected_contacts(figures, calling_hours_left(figures, windows), agents)
    return _share(contacts, figures.register)


def more_agents_needed(figures: CycleFigures, hours_left: float) -> int | None:
    """Agents to add to those logged in so the share reaches :data:`TARGET_FLOOR`."""
    missing = TARGET_FLOOR * figures.register - figures.contacts
    if missing <= _EPSILON:
        return 0
    if missing > _cap(figures) + _EPSILON:
        return None
    rate = contacts_per_agent_hour(figures)
    if rate is None or rate <= 0 or hours_left <= 0:
        return None
    agents = missing / (rate * hours_left)
    if not agents <= MAX_AGENTS:  # beyond any staffing (or not a number)
        return None
    needed = math.ceil(agents - _EPSILON)
    return max(0, needed - figures.agents)


def _share(contacts: float | None, register: int) -> float | None:
    if contacts is None or register == 0:
        return None
    return contacts / register
