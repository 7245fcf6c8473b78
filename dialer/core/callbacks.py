"""When a callback an agent promises may be: in the future, within a sane horizon, and
before the end of the campaign's cycle (after it, nobody would call) unless an alert
episode that lasts runs the campaign (its next cycle takes the callback); and only while
the person has an attempt left in the cycle (a callback counts as one: with none left the
planner would never place it, and the promise would be silently broken)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from dialer.core.planning import AttemptRecord, attempts_used

#: the furthest a callback may be set from now
CALLBACK_HORIZON = timedelta(days=30)
FIELD = "champ « callback_at »"


def callback_problem(
    at: datetime,
    *,
    now: datetime,
    deadline: datetime | None,
    field: str = FIELD,
    attempts_left: int | None = None,
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
    if deadline is not None and attempts_left is not None and attempts_left <= 0:
        return (
            f"{field} : cette personne a eu tous les appels permis dans ce cycle de la "
            "campagne ; le rappel ne serait jamais passé (notez-le pour votre superviseur)"
        )
    return None


def attempts_left(in_cycle: Sequence[AttemptRecord], max_attempts: int) -> int:
    """The attempts the person has left in the cycle (``in_cycle``: its placed attempts)."""
    return max_attempts - attempts_used(in_cycle)
