"""The pure rules of a cycle's close for the households still waiting, of who goes to the
field teams, of whether relatives are called, and of who a veille-sociale household may be
assigned to."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.core.assignees import AssigneeState, assignee_state, assignment_refusal, why_stuck
from dialer.core.attempts import CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.cycle_closure import WaitingAtClose, result_at_close
from dialer.core.cycles import NeverReachedReason
from dialer.core.labels import CYCLE_RESULT_LABELS
from dialer.core.never_reached import FIELD_VISIT_RESULTS, sent_to_field_teams
from dialer.core.relatives import calls_relatives
from dialer.core.roles import Role

TODAY = date(2026, 12, 7)


@given(
    attempts=st.integers(0, 5),
    reached=st.booleans(),
    consent_gone=st.booleans(),
    taken_over=st.booleans(),
)
def test_only_a_household_nobody_reached_nor_withdrew_nor_took_over_is_never_reached(
    attempts: int, reached: bool, consent_gone: bool, taken_over: bool
) -> None:
    result, reason = result_at_close(
        WaitingAtClose(attempts, reached=reached, consent_gone=consent_gone, taken_over=taken_over)
    )
    assert (result is CycleResult.NEVER_REACHED) == (
        not reached and not consent_gone and not taken_over
    )
    assert (reason is not None) == (result is CycleResult.NEVER_REACHED)
    if reached:
        assert result is CycleResult.REACHED  # a follow-up not made keeps « reached »
    elif consent_gone:
        assert result is CycleResult.WITHDRAWN
    assert result not in FIELD_VISIT_RESULTS or result is CycleResult.NEVER_REACHED


def test_the_never_reached_reason_still_counts_attempts() -> None:
    assert result_at_close(WaitingAtClose(0)) == (
        CycleResult.NEVER_REACHED,
        NeverReachedReason.NEVER_ATTEMPTED,
    )
    assert result_at_close(WaitingAtClose(2))[1] is NeverReachedReason.DEADLINE_REACHED


def test_new_results_have_french_labels() -> None:
    assert CYCLE_RESULT_LABELS[CycleResult.WITHDRAWN] == "accord retiré (plus appelé)"
    assert CYCLE_RESULT_LABELS[CycleResult.TAKEN_OVER] == "suivi par le coordinateur"


@pytest.mark.parametrize("kind", list(CampaignKind))
def test_field_teams_and_relatives_never_for_veille_sociale(kind: CampaignKind) -> None:
    emergency = kind is not CampaignKind.VEILLE_SOCIALE
    assert sent_to_field_teams(kind, consent_gone=False) is emergency
    assert sent_to_field_teams(kind, consent_gone=True) is False
    assert calls_relatives(kind) is emergency
    assert calls_relatives(None) is True  # a campaign whose kind is unknown: as before


@pytest.mark.parametrize(
    ("role", "active", "trained_on", "state", "why"),
    [
        (Role.VOLUNTEER, True, date(2026, 1, 5), AssigneeState.CALLS, None),
        (Role.VOLUNTEER, True, None, AssigneeState.STUCK, "formation de bénévole non enregistrée"),
        (Role.VOLUNTEER, True, date(2027, 1, 5), AssigneeState.STUCK,
         "formation de bénévole prévue le 05/01/2027"),
        (Role.VOLUNTEER, False, date(2026, 1, 5), AssigneeState.STUCK, "compte désactivé"),
        (Role.SUPERVISOR, True, None, AssigneeState.TAKEN_OVER, None),
        (Role.SUPERVISOR, False, None, AssigneeState.STUCK, "compte désactivé"),
        (Role.AGENT, True, None, AssigneeState.STUCK, "ce compte n'est pas un bénévole"),
    ],
)  # fmt: skip
def test_what_an_assignee_does_with_a_household(
    role: Role, active: bool, trained_on: date | None, state: AssigneeState, why: str | None
) -> None:
    assert assignee_state(role, active=active, trained_on=trained_on, today=TODAY) is state
    assert why_stuck(role, active=active, trained_on=trained_on, today=TODAY) == why
    refusal = assignment_refusal("x", role, active=active, trained_on=trained_on, today=TODAY)
    assert (refusal is None) == (state is not AssigneeState.STUCK)
    if refusal is not None:
        assert refusal.startswith("champ « volunteer » : ")


def test_an_unknown_account_is_refused() -> None:
    refusal = assignment_refusal("z" * 80, None, active=False, trained_on=None, today=TODAY)
    name = "z" * 50
    assert refusal == f"champ « volunteer » : « {name} » n'est pas un bénévole ou un superviseur"
