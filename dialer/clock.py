"""The wall clock, in one place.

Components that need the time take a ``clock`` (a :data:`Clock`) defaulting to
:func:`utcnow`, so tests drive time themselves; ``dialer.core`` never reads the clock
(``now`` is passed in). The time zone of the people called is
:data:`dialer.core.windows.PARIS`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeAlias

#: a source of the current instant, as an aware UTC datetime
Clock: TypeAlias = Callable[[], datetime]


def utcnow() -> datetime:
    """Now, in UTC (aware)."""
    return datetime.now(UTC)
