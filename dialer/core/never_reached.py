"""The never-reached list: who goes on a cycle's list, and why (pure rules).

Everyone the phone did not reach in a cycle needs a visit from a field team: the people
whose result is ``never_reached`` (the planner stopped, or the cycle closed while they
were still waiting: :func:`dialer.core.cycles.never_reached_reason`) and those whose
result is ``wrong_number`` (no number of the register reaches them).

Never on a list (:func:`sent_to_field_teams`): the households of a veille-sociale campaign
(they agreed to friendly calls, not to visits; a household not reached is counted « non
joint » in the needs analysis), and the members of an emergency campaign whose consent
basis is gone (enrolled through the veille-sociale list only, their emergency consent
withdrawn since).
"""

from __future__ import annotations

from dialer.core.attempts import CycleResult
from dialer.core.campaigns import CampaignKind
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


def sent_to_field_teams(kind: CampaignKind | None, *, consent_gone: bool) -> bool:
    """Does a person not reached in a cycle of a ``kind`` campaign go on the field teams'
    never-reached list? ``consent_gone``: the consent the person was called on is withdrawn
    (:func:`dialer.storage.consent_rows.unconsented_in_cycle`'s rule)."""
    return kind is not CampaignKind.VEILLE_SOCIALE and not consent_gone
