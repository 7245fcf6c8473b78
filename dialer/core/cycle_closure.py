"""A person's result when a cycle ends: the agent's disposition if there was one, else
never reached (or wrong number when no number was left), with what the field teams need
to follow them up; and who leaves the calling list (hospitalised, moved, deceased) or is
called again in the next cycle. (How they are called within the cycle:
:mod:`dialer.core.planning`.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason, never_reached_reason
from dialer.core.planning import AttemptRecord, Cycle, DoneReason
from dialer.core.windows import to_utc

#: results after which the person leaves the calling list
LEAVING_RESULTS = frozenset(
    {CycleResult.HOSPITALISED, CycleResult.MOVED, CycleResult.DECEASED, CycleResult.AWAY}
)


#: results that keep a person out of the campaign's later cycles by themselves; the others
#: that leave the list (hospitalised, moved, and opposed people) are kept out of every
#: campaign by their hold for as long as it lasts (:mod:`dialer.core.holds`)
_OUT_OF_LATER_CYCLES = frozenset({CycleResult.DECEASED, CycleResult.AWAY})


def eligible_for_new_cycle(result: CycleResult) -> bool:
    """Is the person enrolled again in the campaign's next cycle? Everyone is (reached and
    refusing people too, the heat goes on) except the deceased and people away from home;
    whether a hold keeps them out of calls is :func:`dialer.core.holds.may_be_dialled`'s
    rule (a hospitalised person comes back once their hold ends)."""
    return result not in _OUT_OF_LATER_CYCLES


@dataclass(frozen=True)
class FieldFollowUp:
    """For the field teams: a person the phone did not reach, why, and every attempt."""

    reason: DoneReason
    cycle: Cycle
    attempts: tuple[AttemptRecord, ...]  # oldest first: time, number, outcome, kind


@dataclass(frozen=True)
class CycleClosure:
    """A person's result for a cycle. ``left_on``: the date they left the list (leaving
    results only); ``follow_up``: set when the phone did not reach them."""

    result: CycleResult
    follow_up: FieldFollowUp | None = None
    left_on: date | None = None

    @property
    def leaves_list(self) -> bool:
        return self.result in LEAVING_RESULTS


def close_person_cycle(
    *,
    cycle: Cycle,
    history: Sequence[AttemptRecord],
    disposition: CycleResult | None = None,
    stopped: DoneReason = DoneReason.DEADLINE_REACHED,
    left_on: date | None = None,
    reached: bool = False,
) -> CycleClosure:
    """A person's result at the end of ``cycle``.

    With an agent's ``disposition`` that is the result; HOSPITALISED, MOVED and DECEASED
    need ``left_on``. Without one: REACHED when ``reached`` (a complete sheet earlier in the
    cycle: a household reached, then not on its follow-up call), else ``stopped`` (the
    planner's :class:`Done` reason) decides: NO_VALID_NUMBER gives WRONG_NUMBER, anything
    else NEVER_REACHED. NEVER_REACHED and WRONG_NUMBER carry a :class:`FieldFollowUp`:
    nobody was reached by phone.
    """
    if disposition is CycleResult.NEVER_REACHED:
        raise ValueError("NEVER_REACHED is decided here, not an agent's disposition")
    if (disposition in LEAVING_RESULTS) != (left_on is not None):
        raise ValueError(f"left_on goes with hospitalised, moved, deceased: {disposition}")
    if disposition is None and stopped is DoneReason.FINAL_OUTCOME_REACHED:
        raise ValueError("a final outcome needs the agent's disposition")
    if disposition is None and reached:
        result = CycleResult.REACHED
    elif disposition is None:
        result = (
            CycleResult.WRONG_NUMBER
            if stopped is DoneReason.NO_VALID_NUMBER
            else CycleResult.NEVER_REACHED
        )
    else:
        result = disposition
    follow_up = None
    if result in (CycleResult.NEVER_REACHED, CycleResult.WRONG_NUMBER):
        reason = DoneReason.NO_VALID_NUMBER if result is CycleResult.WRONG_NUMBER else stopped
        attempts = sorted(
            (a for a in history if cycle.contains(a.placed_at)),
            key=lambda attempt: to_utc(attempt.placed_at),
        )
        follow_up = FieldFollowUp(reason=reason, cycle=cycle, attempts=tuple(attempts))
    return CycleClosure(result=result, follow_up=follow_up, left_on=left_on)


@dataclass(frozen=True)
class WaitingAtClose:
    """A member still waiting when their cycle closes, as the closing rule needs it."""

    #: attempts of the cycle dialled for them
    attempts: int
    #: a call of the cycle reached them (a « reached » sheet whose follow-up was still to
    #: make before the cycle's end: :func:`dialer.core.orientations.result_with_follow_up`)
    reached: bool = False
    #: the consent they were called on is gone (withdrawn): a veille-sociale household, or
    #: a household enrolled in an emergency campaign through the veille-sociale list only
    consent_gone: bool = False
    #: a veille-sociale household its coordinator took over (assigned to a supervisor)
    taken_over: bool = False


def result_at_close(member: WaitingAtClose) -> tuple[CycleResult, NeverReachedReason | None]:
    """The result (and the never-reached reason, for NEVER_REACHED only) of a member still
    waiting when the cycle closes. A household reached keeps « reached » even though its
    follow-up was not made in time; a withdrawn consent gives WITHDRAWN (never sent to the
    field teams: the household asked not to be called); a coordinator's take-over gives
    TAKEN_OVER (the coordinator follows it up); only the others were never reached."""
    if member.reached:
        return CycleResult.REACHED, None
    if member.consent_gone:
        return CycleResult.WITHDRAWN, None
    if member.taken_over:
        return CycleResult.TAKEN_OVER, None
    return CycleResult.NEVER_REACHED, never_reached_reason(None, member.attempts)
