"""When a callback an agent promises may be: in the future, within a sane horizon, and
before the end of the campaign's cycle (after it, nobody would call) unless an alert
episode that lasts runs the campaign (its next cycle takes the callback)."""

from __future__ import annotations

from datetime import datetime, timedelta

#: the furthest a callback may be set from now
CALLBACK_HORIZON = timedelta(days=30)
FIELD = "champ « callback_at »"


def callback_problem(
    at: datetime, *, now: datetime, deadline: datetime | None, field: str = FIELD
) -> str | None:
    """Why a callback at ``at`` cannot be scheduled (a French message naming ``field``),
    or None. ``deadline``: the end of the call's cycle (None: unknown). A follow-up call
    (:mod:`dialer.core.orientations`) is such a callback, with its own field."""
    if at <= now:
        return f"{field} : la date du rappel doit être dans le futur"
    if at > now + CALLBACK_HORIZON:
        return f"{field} : le rappel doit avoir lieu dans les {CALLBACK_HORIZON.days} jours"
    if deadline is not None and at > deadline:
        return f"{field} : le rappel doit avoir lieu avant la fin du cycle de la campagne"
    return None
