"""The never-reached list: who goes on it at a cycle's close, and why (pure rules).

Everyone the phone did not reach in a cycle needs a visit from a field team: the people
whose result is ``never_reached`` (the planner stopped, or the cycle closed while they
were still waiting) or ``wrong_number`` (no number of the register reaches them). Each
is on the cycle's list with one reason:

- *attempts exhausted*: the cycle's ``max_attempts`` were made;
- *deadline reached after N attempts*: the cycle closed (or no further attempt fitted
  before its deadline) after 1 to ``max_attempts - 1`` attempts;
- *never attempted for lack of capacity*: the cycle closed before anyone could dial them;
- *no valid number*: every number is invalid or was marked wrong.
"""

from __future__ import annotations

from enum import StrEnum

from dialer.core.attempts import CycleResult
from dialer.core.planning import DoneReason

#: the results that put a person on the cycle's never-reached list
FIELD_VISIT_RESULTS = frozenset({CycleResult.NEVER_REACHED, CycleResult.WRONG_NUMBER})


class NeverReachedReason(StrEnum):
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    DEADLINE_AFTER_ATTEMPTS = "deadline_after_attempts"
    NO_CAPACITY = "no_capacity"
    NO_VALID_NUMBER = "no_valid_number"


def never_reached_reason(result: CycleResult, note: str, attempts: int) -> NeverReachedReason:
    """Why a person with ``result`` (one of :data:`FIELD_VISIT_RESULTS`) is on the list.
    ``note``: the result's note, the planner's :class:`DoneReason` when it decided;
    ``attempts``: the attempts placed for them in the cycle."""
    if result not in FIELD_VISIT_RESULTS:
        raise ValueError(f"{result.value}: not a never-reached result")
    if result is CycleResult.WRONG_NUMBER or note == DoneReason.NO_VALID_NUMBER:
        return NeverReachedReason.NO_VALID_NUMBER
    if note == DoneReason.ATTEMPTS_EXHAUSTED and attempts > 0:
        return NeverReachedReason.ATTEMPTS_EXHAUSTED
    if attempts == 0:
        return NeverReachedReason.NO_CAPACITY
    return NeverReachedReason.DEADLINE_AFTER_ATTEMPTS
