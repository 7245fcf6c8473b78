"""Wrap-ups nobody finishes: after a set time the call is closed with what was recorded.

A call an agent handled waits for the agent's disposition before the campaign plans the
person's next step. An agent who left (phone lost, browser closed, controller restarted
and the agent never came back) would keep the person waiting for ever; after
:data:`WRAP_UP_LIMIT` the wrap-up is closed without a disposition (the answers already
saved stay saved), the seat is paused, and the supervisor sees it counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

#: how long an unfinished wrap-up may last before it is closed for the agent
WRAP_UP_LIMIT = timedelta(minutes=20)


def forgotten_wrap_ups(
    started: Mapping[str, datetime], now: datetime, limit: timedelta = WRAP_UP_LIMIT
) -> list[str]:
    """The attempts whose wrap-up began (the call ended) more than ``limit`` ago, oldest
    first."""
    late = [(at, attempt_id) for attempt_id, at in started.items() if now - at > limit]
    return [attempt_id for _, attempt_id in sorted(late)]
