from __future__ import annotations

import pytest

from dialer.core.agent_states import AgentEvent, AgentState, next_agent_state
from dialer.core.attempts import (
    ATTEMPT_STATE_RANK,
    CALL_STATE_OF,
    IN_FLIGHT_STATES,
    TERMINAL,
    TRANSITIONS,
    AttemptState,
    CallEvent,
    CallState,
    CycleResult,
    Disposition,
    next_call_state,
    person_result,
)
from dialer.errors import ConflictError


def test_a_call_goes_from_planned_to_ended_through_an_agent() -> None:
    state = CallState.PLANNED
    for event in (CallEvent.DIAL, CallEvent.RINGING, CallEvent.ANSWERED, CallEvent.JOINED):
        state = next_call_state(state, event)
    assert state is CallState.JOINED
    assert next_call_state(state, CallEvent.HANGUP) is CallState.ENDED


def test_an_answered_call_never_joined_is_abandoned_by_the_dialplan() -> None:
    assert next_call_state(CallState.ANSWERED, CallEvent.ABANDON) is CallState.ABANDONED


def test_a_person_hanging_up_inside_the_join_window_is_no_abandon() -> None:
    assert next_call_state(CallState.ANSWERED, CallEvent.HANGUP) is CallState.ENDED


def test_terminal_states_take_no_new_event() -> None:
    for state in TERMINAL:
        for event in (CallEvent.DIAL, CallEvent.ANSWERED, CallEvent.JOINED):
            with pytest.raises(ConflictError):
                next_call_state(state, event)


def test_repeated_events_are_harmless() -> None:
    assert next_call_state(CallState.ENDED, CallEvent.HANGUP) is CallState.ENDED
    assert next_call_state(CallState.RINGING, CallEvent.RINGING) is CallState.RINGING


def test_a_call_never_moves_backwards() -> None:
    with pytest.raises(ConflictError, match="joined"):
        next_call_state(CallState.JOINED, CallEvent.DIAL)


def test_an_agent_shift() -> None:
    state = AgentState.LOGGED_OUT
    path = [
        (AgentEvent.LOG_IN, AgentState.PAUSED),
        (AgentEvent.GO_READY, AgentState.READY),
        (AgentEvent.RESERVE, AgentState.RESERVED),
        (AgentEvent.JOIN, AgentState.ON_CALL),
        (AgentEvent.CALL_ENDED, AgentState.WRAP_UP),
        (AgentEvent.WRAP_UP_DONE, AgentState.READY),
        (AgentEvent.PAUSE, AgentState.PAUSED),
        (AgentEvent.LOG_OUT, AgentState.LOGGED_OUT),
    ]
    for event, expected in path:
        state = next_agent_state(state, event)
        assert state is expected


def test_an_agent_on_a_call_cannot_log_out_but_losing_the_phone_does() -> None:
    with pytest.raises(ConflictError):
        next_agent_state(AgentState.ON_CALL, AgentEvent.LOG_OUT)
    assert next_agent_state(AgentState.ON_CALL, AgentEvent.PHONE_LOST) is AgentState.LOGGED_OUT


def test_a_reserved_agent_can_be_released() -> None:
    assert next_agent_state(AgentState.RESERVED, AgentEvent.RELEASE) is AgentState.READY
    with pytest.raises(ConflictError):
        next_agent_state(AgentState.PAUSED, AgentEvent.RESERVE)


def _reachable(state: CallState) -> set[CallState]:
    seen = {state}
    frontier = [state]
    while frontier:
        current = frontier.pop()
        for (source, _event), target in TRANSITIONS.items():
            if source is current and target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def test_the_ledger_states_map_onto_call_states_in_the_same_order() -> None:
    assert set(CALL_STATE_OF) == set(AttemptState)
    for earlier, earlier_rank in ATTEMPT_STATE_RANK.items():
        for later, later_rank in ATTEMPT_STATE_RANK.items():
            if earlier_rank < later_rank:
                assert CALL_STATE_OF[later] in _reachable(CALL_STATE_OF[earlier])


def test_a_call_in_flight_in_the_ledger_is_not_over_for_the_engine() -> None:
    for state in AttemptState:
        in_flight = state in IN_FLIGHT_STATES
        assert (CALL_STATE_OF[state] in TERMINAL) is (ATTEMPT_STATE_RANK[state] == 5)
        assert in_flight is (CALL_STATE_OF[state] not in TERMINAL | {CallState.PLANNED})


def test_a_disposition_gives_a_result_only_when_it_decides_the_cycle() -> None:
    results = {disposition: person_result(disposition) for disposition in Disposition}
    assert results == {
        Disposition.COMPLETE: CycleResult.REACHED,
        Disposition.REFUSED: CycleResult.REFUSED,
        Disposition.WRONG_NUMBER: CycleResult.WRONG_NUMBER,
        Disposition.HOSPITALISED: CycleResult.HOSPITALISED,
        Disposition.MOVED: CycleResult.MOVED,
        Disposition.DECEASED: CycleResult.DECEASED,
        Disposition.OPPOSED: CycleResult.OPPOSED,  # « ne plus appeler », not a refusal
        Disposition.INTERRUPTED: None,
        Disposition.CALLBACK: None,
        Disposition.ABSENT: None,
    }
    assert CycleResult.NEVER_REACHED not in results.values()  # the planner's, not an agent's
