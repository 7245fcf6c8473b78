"""Seat time: how long agents were logged in over a span (the seat-hours the city pays
for), and the conversion rate the city prices on. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

SECONDS_PER_HOUR = 3600.0


def seat_seconds(
    sessions: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> float:
    """Seconds of presence inside ``[start, end]``, summed over the sessions (two agents
    logged in for one hour: two seat-hours)."""
    total = 0.0
    for began, ended in sessions:
        overlap = (min(ended, end) - max(began, start)).total_seconds()
        total += max(0.0, overlap)
    return total


def seat_hours(seconds: float) -> float:
    return round(seconds / SECONDS_PER_HOUR, 2)


def conversion_rate(useful_contacts: int, people_called: int) -> float:
    """Useful contacts ÷ people called (0..1; 0 when nobody was called)."""
    return useful_contacts / people_called if people_called else 0.0
