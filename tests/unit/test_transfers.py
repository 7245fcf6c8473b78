"""The transfer rules: the state machine's table, the numbers offered and accepted."""

from __future__ import annotations

import pytest

from dialer.alerts.routing import TeamScope, covering_team
from dialer.core.agent_states import AgentState
from dialer.core.transfers import (
    TRANSITIONS,
    Refusal,
    TransferEvent,
    TransferKind,
    TransferState,
    TransferTarget,
    answered_state,
    decide,
    dialable,
    found_after_restart,
    offered_targets,
    target_refusal,
    transfer_refusal,
)


def refused(state: TransferState, event: TransferEvent) -> bool:
    return isinstance(decide(state, event, TransferKind.WARM), Refusal)


def test_the_agent_steps_follow_the_table() -> None:
    assert decide(TransferState.CALLING, TransferEvent.THIRD_ANSWERED, TransferKind.WARM) is (
        TransferState.CONSULTING
    )
    assert isinstance(
        decide(TransferState.CALLING, TransferEvent.AGENT_JOINS, TransferKind.WARM), Refusal
    )
    assert isinstance(
        decide(TransferState.CALLING, TransferEvent.AGENT_LEAVES, TransferKind.WARM), Refusal
    )
    assert isinstance(
        decide(TransferState.CONFERENCE, TransferEvent.AGENT_JOINS, TransferKind.WARM), Refusal
    )
    assert isinstance(
        decide(TransferState.HANDED_OVER, TransferEvent.AGENT_CANCELS, TransferKind.WARM), Refusal
    )
    assert isinstance(
        decide(TransferState.ENDED, TransferEvent.PERSON_GONE, TransferKind.WARM), Refusal
    )
    # while the agent is there, a third party gone always brings the person back
    for state in (TransferState.CALLING, TransferState.CONSULTING, TransferState.CONFERENCE):
        assert TRANSITIONS[(state, TransferEvent.THIRD_GONE)] is TransferState.ENDED
    assert answered_state(TransferKind.WARM) is TransferState.CONSULTING
    assert answered_state(TransferKind.CONFERENCE) is TransferState.CONFERENCE


@pytest.mark.parametrize(
    ("typed", "dialled"),
    [
        ("15", "15"),
        ("3919", "3919"),
        ("06 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0612", None),
        ("1", None),
        ("15;Hangup", None),
        ("15\r\nAction: Originate", None),
        ("+0612345678", None),
        ("", None),
    ],
)
def test_a_typed_number_is_dialable_or_not(typed: str, dialled: str | None) -> None:
    assert dialable(typed) == dialled


def test_the_offered_numbers_and_the_free_ones() -> None:
    offered = offered_targets(
        {"SAMU (15)": "15"}, contact_phone="+33612345678", contact_name="Paul (fils)"
    )
    assert offered == [
        TransferTarget("SAMU (15)", "15"),
        TransferTarget("Proche : Paul (fils)", "+33612345678"),
    ]
    assert offered_targets({}, contact_phone=None) == []
    assert target_refusal("15", offered, free_numbers=False) is None
    assert target_refusal("+33612345678", offered, free_numbers=False) is None
    assert "proposés" in str(target_refusal("112", offered, free_numbers=False))
    assert target_refusal("112", offered, free_numbers=True) is None
    assert "invalide" in str(target_refusal("abc", offered, free_numbers=True))


def test_only_an_agent_on_a_call_with_no_transfer_under_way_may_transfer() -> None:
    assert transfer_refusal(AgentState.ON_CALL, "leg", busy=False) is None
    assert transfer_refusal(AgentState.ON_CALL, "leg", busy=True) is not None
    assert transfer_refusal(AgentState.ON_CALL, None, busy=False) is not None
    for state in (AgentState.READY, AgentState.WRAP_UP, AgentState.RESERVED):
        assert transfer_refusal(state, "leg", busy=False) is not None


def test_the_state_machine_decides_a_state_or_a_refusal() -> None:
    warm, conference = TransferKind.WARM, TransferKind.CONFERENCE
    calling = TransferState.CALLING
    assert decide(calling, TransferEvent.THIRD_ANSWERED, warm) is TransferState.CONSULTING
    assert decide(calling, TransferEvent.THIRD_ANSWERED, conference) is TransferState.CONFERENCE
    early = decide(calling, TransferEvent.AGENT_JOINS, warm)
    assert isinstance(early, Refusal)
    assert "pas encore répondu" in early.reason
    done = decide(TransferState.HANDED_OVER, TransferEvent.AGENT_CANCELS, warm)
    assert isinstance(done, Refusal)
    assert "déjà quitté" in done.reason
    # the agent's leg lost: to the third party once they answered, else the transfer ends
    assert decide(calling, TransferEvent.AGENT_GONE, warm) is TransferState.ENDED
    for state in (TransferState.CONSULTING, TransferState.CONFERENCE):
        assert decide(state, TransferEvent.AGENT_GONE, warm) is TransferState.HANDED_OVER
    assert isinstance(decide(TransferState.ENDED, TransferEvent.AGENT_GONE, warm), Refusal)


def test_the_duty_phone_is_the_team_naming_the_district_else_the_default_one() -> None:
    nord = TeamScope(1, "Équipe Nord", districts=["Nord"])
    everywhere = TeamScope(2, "Urgences", needs=["medical_emergency"])
    default = TeamScope(3, "Veille générale", is_default=True)
    assert covering_team("  nord ", [everywhere, nord, default]) is nord
    assert covering_team("Sud", [everywhere, nord, default]) is default
    assert covering_team(None, [everywhere, nord]) is None
    offered = offered_targets(
        {"SAMU (15)": "15"}, contact_phone="0611", duty=("Équipe Nord", "0622")
    )
    assert offered[-1] == TransferTarget("Astreinte : Équipe Nord", "0622")
    same = offered_targets({"Astreinte Nord": "0622"}, contact_phone=None, duty=("Nord", "0622"))
    assert same == [TransferTarget("Astreinte Nord", "0622")]


@pytest.mark.parametrize(
    ("agent_in_room", "steps", "followed_as"),
    [
        (True, (), (TransferState.CONFERENCE, False)),
        (True, ("joined",), (TransferState.CONFERENCE, False)),
        (False, ("joined", "left"), (TransferState.HANDED_OVER, False)),
        (False, ("left",), (TransferState.HANDED_OVER, False)),
        (False, ("agent_lost",), (TransferState.HANDED_OVER, True)),
        (False, (), (TransferState.HANDED_OVER, True)),
    ],
)
def test_a_transfer_found_after_a_restart_is_followed_by_who_is_in_its_conference(
    agent_in_room: bool, steps: tuple[str, ...], followed_as: tuple[TransferState, bool]
) -> None:
    assert found_after_restart(agent_in_room=agent_in_room, steps=steps) == followed_as
