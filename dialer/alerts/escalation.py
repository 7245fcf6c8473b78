"""When an unacknowledged alert escalates, and when a failed delivery is tried again:
pure rules on times given by the caller.

An alert not acknowledged within its priority's delay (P1 10 min, P2 1 h, P3 4 h, P4 24 h
by default) escalates to the team's first escalation contact, then, after the same delay
again, to the next one, until the list is exhausted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialer.core.operator_messages import say
from dialer.errors import ConfigurationError

DEFAULT_ESCALATION_DELAYS: Mapping[int, timedelta] = {
    1: timedelta(minutes=10),
    2: timedelta(hours=1),
    3: timedelta(hours=4),
    4: timedelta(hours=24),
}

#: waits between tries of a failed delivery; the last one repeats for ever
DEFAULT_RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
    timedelta(minutes=15),
)


@dataclass(frozen=True)
class EscalationPolicy:
    delays: Mapping[int, timedelta] = field(default_factory=lambda: dict(DEFAULT_ESCALATION_DELAYS))

    def __post_init__(self) -> None:
        missing = [p for p in (1, 2, 3, 4) if p not in self.delays]
        if missing or any(delay <= timedelta(0) for delay in self.delays.values()):
            raise ConfigurationError(say("escalation.delays", delays=dict(self.delays)))

    def delay(self, priority: int) -> timedelta:
        return self.delays[min(max(priority, 1), 4)]

    def first_deadline(self, priority: int, raised_at: datetime) -> datetime:
        return raised_at + self.delay(priority)


@dataclass(frozen=True)
class EscalationStep:
    """Escalate to contact number ``level`` (1-based) now; next deadline, if any."""

    level: int
    next_deadline: datetime | None


def next_escalation(
    *, level: int, priority: int, contacts: int, now: datetime, policy: EscalationPolicy
) -> EscalationStep | None:
    """The step for an alert at ``level`` whose deadline passed; ``None`` when the team's
    ``contacts`` list is exhausted (the alert stays open, nobody further to tell)."""
    if level >= contacts:
        return None
    to_level = level + 1
    more = to_level < contacts
    return EscalationStep(to_level, now + policy.delay(priority) if more else None)


@dataclass(frozen=True)
class RetryPolicy:
    delays: Sequence[timedelta] = DEFAULT_RETRY_DELAYS

    def __post_init__(self) -> None:
        if not self.delays or any(delay <= timedelta(0) for delay in self.delays):
            raise ConfigurationError(say("escalation.retry_delays"))

    def next_try(self, tries_so_far: int, now: datetime) -> datetime:
        """When to try again after the ``tries_so_far``-th failed try (1 = the first)."""
        index = min(max(tries_so_far, 1), len(self.delays)) - 1
        return now + self.delays[index]
