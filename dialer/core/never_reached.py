"""The never-reached list: who goes on a cycle's list, and why (pure rules).

Everyone the phone did not reach in a cycle needs a visit from a field team: the people
whose result is ``never_reached`` (the planner stopped, or the cycle closed while they
were still waiting: :func:`dialer.core.cycles.never_reached_reason`) and those whose
result is ``wrong_number`` (no number of the register reaches them).
"""

from __future__ import annotations

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason, never_reached_reason
from dialer.core.planning import DoneReason

#: the results that put a person on the cycle's never-reached list
FIELD_VISIT_RESULTS = frozenset({CycleResult.NEVER_REACHED, CycleResult.WRONG_NUMBER})


def listed_reason(
    result: CycleResult, stored: NeverReachedReason | None, note: str, attempts: int
) -> NeverReachedReason | None:
    """Why a person with ``result`` (one of :data:`FIELD_VISIT_RESULTS`) is on the list;
    None for a wrong number (no valid number). ``stored``: the reason recorded with the
    result; results recorded before reasons were (migration 0013) only have the planner's
    :class:`DoneReason` in ``note``. ``attempts``: the cycle's attempts dialled."""
    if result not in FIELD_VISIT_RESULTS:
        raise ValueError(f"{result.value}: not a never-reached result")
    if result is CycleResult.WRONG_NUMBER:
        return None
    if stored is not None:
        return stored
    stopped = DoneReason(note) if note in set(DoneReason) else None
    return never_reached_reason(stopped, attempts)
