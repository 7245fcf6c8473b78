"""When the phone does not reach a person: their relative, then the field team (pure rules,
``now`` passed in).

The relative (the register's « contact proche ») is called by an agent reserved for it
(attempt kind ``RELATIVE``) when the person used their attempts without being reached, or
``relative_before_deadline`` before the cycle's deadline with no contact, and never:

- when the person or the relative objected (``relative_objected`` on the person);
- more than ``relative_calls_per_cycle`` times in a cycle, nor twice within
  ``relative_retry_gap``;
- in a veille-sociale campaign (:func:`calls_relatives`: the relative never agreed);
- outside the calling windows (the call is due at the first window instant that leaves the
  ring allowance before the deadline; none: no call).

The relative questionnaire's answers give the :class:`RelativeOutcome`, and it the person's
result: news given (reached through a relative, not a useful contact), away, hospitalised or
moved (they leave the calls), a new number (added and tried: no result yet), no news (a
visit request at once). People still unreached when the cycle closes, and those whose
relative had no news, become :class:`VisitOutcome`-closed visit requests for the field team
of their district, the highest risk first (:func:`visit_priority`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from dialer.core.attempts import CycleResult, Disposition, person_result
from dialer.core.campaigns import CampaignKind
from dialer.core.planning import Cycle, RetryPolicy, initial_attempt_time
from dialer.core.windows import CallingWindows, to_utc

#: the relative questionnaire shipped in ``ivr_scripts/questionnaires/proche.yaml``
RELATIVE_QUESTIONNAIRE = "proche"


@dataclass(frozen=True)
class RelativeState:
    """What the rule needs to know of a person in a cycle."""

    has_relative: bool  # a relative's number is on the record
    objected: bool  # the person or the relative objected to the relative being called
    contacted: bool  # the person was reached (or has a result) in this cycle
    attempts_exhausted: bool  # the person used their attempts without being reached
    relative_calls: int  # calls to the relative placed in this cycle
    last_relative_call: datetime | None  # when the latest one was placed


def relative_call_at(
    state: RelativeState,
    *,
    now: datetime,
    cycle: Cycle,
    windows: CallingWindows,
    policy: RetryPolicy,
) -> datetime | None:
    """When the person's relative is to be called (inside a calling window, before the
    deadline), or None: not due, not allowed, or no window fits."""
    now = to_utc(now)
    if not state.has_relative or state.objected or state.contacted:
        return None
    if state.relative_calls >= policy.relative_calls_per_cycle:
        return None
    near_deadline = now >= cycle.deadline - policy.relative_before_deadline
    if not (state.attempts_exhausted or near_deadline):
        return None
    earliest = now
    if state.last_relative_call is not None:
        earliest = max(earliest, to_utc(state.last_relative_call) + policy.relative_retry_gap)
    return initial_attempt_time(now=earliest, cycle=cycle, windows=windows, policy=policy)


class RelativeOutcome(StrEnum):
    """What the relative said, from the relative questionnaire's answers."""

    NEWS_GIVEN = "news_given"
    AWAY = "away"
    HOSPITALISED = "hospitalised"
    MOVED = "moved"
    NEW_NUMBER = "new_number"
    NO_NEWS = "no_news"


_SITUATION_OUTCOMES = {
    "absent": RelativeOutcome.AWAY,
    "hospitalise": RelativeOutcome.HOSPITALISED,
    "demenage": RelativeOutcome.MOVED,
}


def relative_outcome(answers: Mapping[str, object], *, new_number: bool) -> RelativeOutcome:
    """The outcome of a relative call from the questionnaire's ``answers`` (question id →
    answer: ``nouvelles_48h`` yes/no, ``situation`` a choice id) and whether the agent
    entered a better number for the person. The person away, hospitalised or moved weighs
    most, then news, then a number to try; else no news."""
    situation = answers.get("situation")
    if isinstance(situation, str) and situation in _SITUATION_OUTCOMES:
        return _SITUATION_OUTCOMES[situation]
    if answers.get("nouvelles_48h") is True:
        return RelativeOutcome.NEWS_GIVEN
    if new_number:
        return RelativeOutcome.NEW_NUMBER
    return RelativeOutcome.NO_NEWS


_RESULT_OF_OUTCOME: dict[RelativeOutcome, CycleResult | None] = {
    RelativeOutcome.NEWS_GIVEN: CycleResult.REACHED_VIA_RELATIVE,
    RelativeOutcome.AWAY: CycleResult.AWAY,
    RelativeOutcome.HOSPITALISED: CycleResult.HOSPITALISED,
    RelativeOutcome.MOVED: CycleResult.MOVED,
    RelativeOutcome.NEW_NUMBER: None,  # the new number is tried: the planner decides
    RelativeOutcome.NO_NEWS: CycleResult.NEVER_REACHED,  # and a visit request at once
}


def result_of_relative(outcome: RelativeOutcome) -> CycleResult | None:
    """The person's result a relative call's outcome gives (None: keep calling them)."""
    return _RESULT_OF_OUTCOME[outcome]


#: the dispositions of a relative call that say where the person is, whatever the answers
_LEAVING_DISPOSITIONS = frozenset(
    {Disposition.HOSPITALISED, Disposition.MOVED, Disposition.DECEASED, Disposition.OPPOSED}
)


def relative_call_result(
    disposition: Disposition, answers: Mapping[str, object], *, new_number: bool
) -> CycleResult | None:
    """The person's result when an agent closes a relative call's sheet: a complete
    relative questionnaire gives it (:func:`relative_outcome`); hospitalised, moved or
    deceased say it directly; any other disposition (relative absent, call cut) gives none:
    the person's calls go on."""
    if disposition is Disposition.COMPLETE:
        return result_of_relative(relative_outcome(answers, new_number=new_number))
    if disposition in _LEAVING_DISPOSITIONS:
        return person_result(disposition)
    return None


class VisitReason(StrEnum):
    """Why a field team is asked to go and see someone."""

    CYCLE_END_UNREACHED = "cycle_end_unreached"
    RELATIVE_NO_NEWS = "relative_no_news"


class VisitOutcome(StrEnum):
    """What the field team found."""

    SEEN_WELL = "seen_well"
    HELPED = "helped"
    TAKEN_TO_HOSPITAL = "taken_to_hospital"
    ABSENT = "absent"
    DECEASED = "deceased"
    REFUSED = "refused"


#: the visit outcomes that change the person's result in the cycle (they leave the calls)
VISIT_RESULTS: dict[VisitOutcome, CycleResult] = {
    VisitOutcome.TAKEN_TO_HOSPITAL: CycleResult.HOSPITALISED,
    VisitOutcome.DECEASED: CycleResult.DECEASED,
}


@dataclass(frozen=True)
class RiskFlags:
    """The register's flags and earlier answers that order the visits."""

    birth_date: date | None
    living_alone: bool
    disabled: bool
    medical: bool
    earlier_high_risk: bool  # an earlier call sheet's risk was high or critical


def visit_priority(flags: RiskFlags, today: date) -> int:
    """1 (go first) to 4: four less one per risk (living alone, disability, medical, aged
    85 or more, an earlier high risk), never below 1."""
    points = sum((flags.living_alone, flags.disabled, flags.medical, flags.earlier_high_risk))
    if flags.birth_date is not None:
        age = today.year - flags.birth_date.year
        if (today.month, today.day) < (flags.birth_date.month, flags.birth_date.day):
            age -= 1
        points += age >= 85
    return max(1, 4 - points)


def calls_relatives(kind: CampaignKind | None) -> bool:
    """Whether a campaign of ``kind`` turns to a person's relative when the phone does not
    reach them. A veille-sociale campaign never does: its households agreed to be called,
    their relatives did not (the consent covers the household only)."""
    return kind is not CampaignKind.VEILLE_SOCIALE
