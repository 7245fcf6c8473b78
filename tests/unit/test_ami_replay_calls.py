"""The AMI adapter replaying calls recorded from Asterisk 22 on the rig by
``tests/fixtures/ami/record.py``: an answered person joined to an agent, a busy line, and a
call that goes on while the AMI session is dropped and reopened. Each recording goes
through the adapter's protocol and :func:`translate`; the typed events, and the outcomes
the core draws from them, are what the engine would get from the live Asterisk."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialer.core.outcomes import CallOutcome, classify, parse_int
from dialer.core.reconciliation import Close, Resume, outcome_of, reconcile
from dialer.telephony.events import AmiMessage
from dialer.telephony.port import (
    AgentLegEnded,
    AgentLegIdle,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallJoined,
    CallLeftBridge,
    CallRinging,
    TelephonyEvent,
)
from dialer.telephony.translate import agent_leg_id, parse_recorded_end, translate
from tests.fixtures.ami.replay import replay, sessions

RECEIVED = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LEG = agent_leg_id("agent-1001", 1)


def typed(messages: list[AmiMessage]) -> list[TelephonyEvent]:
    events = [translate(m, received_at=RECEIVED) for m in messages]
    return [e for e in events if e is not None]


def of_call(events: list[TelephonyEvent], attempt_id: str) -> list[TelephonyEvent]:
    return [e for e in events if getattr(e, "attempt_id", None) == attempt_id]


def originate_reason(messages: list[AmiMessage], attempt_id: str) -> int | None:
    """``OriginateResponse.Reason`` for the attempt (the node reads it from the action's
    reply list; here it is one of the recorded messages)."""
    [response] = [
        m for m in messages if m.name == "OriginateResponse" and m.get("Uniqueid") == attempt_id
    ]
    return parse_int(response.get("Reason"))


def outcome(messages: list[AmiMessage], attempt_id: str) -> CallOutcome:
    ended = [e for e in of_call(typed(messages), attempt_id) if isinstance(e, CallEnded)]
    [end] = ended
    return classify(
        originate_reason=originate_reason(messages, attempt_id),
        cause=end.cause,
        tech_cause=end.tech_cause,
    )


@pytest.mark.parametrize("recording", ["answered_joined", "busy", "reconnect"])
def test_any_read_size_gives_the_same_messages(recording: str) -> None:
    for session in sessions(recording):
        whole = replay([session])
        for size in (1, 7, 64):
            chunks = [session[i : i + size] for i in range(0, len(session), size)]
            assert replay(chunks) == whole


# ---- an answered person joined to an agent --------------------------------------------------
def test_an_answered_person_is_joined_to_the_agents_leg_and_ends_answered() -> None:
    [session] = sessions("answered_joined")
    messages = replay([session])
    events = typed(messages)
    call = of_call(events, "rec-joined")
    assert [type(e) for e in call] == [
        CallRinging,
        CallAnswered,
        CallJoined,
        CallLeftBridge,
        CallEnded,
    ]
    answered, joined, left = call[1], call[2], call[3]
    assert isinstance(joined, CallJoined)
    assert isinstance(left, CallLeftBridge)
    assert joined.bridge_id == left.bridge_id != ""
    assert (joined.at - answered.at).total_seconds() < 1.5  # inside the join window
    assert outcome(messages, "rec-joined") is CallOutcome.ANSWERED
    end = call[-1]
    assert isinstance(end, CallEnded)
    assert end.cause == 16  # the person hung up: a normal clearing


def test_the_agents_leg_waits_before_the_call_and_is_hung_up_after_it() -> None:
    [session] = sessions("answered_joined")
    events = typed(replay([session]))
    leg = [e for e in events if isinstance(e, AgentLegIdle | AgentLegEnded)]
    assert isinstance(leg[0], AgentLegIdle)  # connected, waiting for a call
    assert isinstance(leg[-1], AgentLegEnded)
    assert {(e.agent, e.leg_id) for e in leg} == {("agent-1001", LEG)}
    assert not of_call(events, LEG)  # the agent's leg never passes for a call
    call_end = next(e for e in events if isinstance(e, CallEnded))
    assert call_end.at <= leg[-1].at


# ---- a busy line ---------------------------------------------------------------------------
def test_a_busy_line_rings_no_one_and_ends_busy() -> None:
    [session] = sessions("busy")
    messages = replay([session])
    call = of_call(typed(messages), "rec-busy")
    assert CallAnswered not in [type(e) for e in call]
    end = call[-1]
    assert isinstance(end, CallEnded)
    assert (end.cause, end.tech_cause) == (17, 486)  # User busy, 486 Busy Here
    assert originate_reason(messages, "rec-busy") == 0  # Asterisk's Failure, no reason
    assert outcome(messages, "rec-busy") is CallOutcome.BUSY


# ---- a reconnect -----------------------------------------------------------------------------
def test_a_call_outlives_its_ami_session_and_ends_in_the_next_one() -> None:
    first, second = sessions("reconnect")
    before = of_call(typed(replay([first])), "rec-reconnect")
    after = of_call(typed(replay([second])), "rec-reconnect")
    assert [type(e) for e in before] == [CallRinging, CallAnswered]
    # nobody joined it in the new session: the dialplan abandons it, the person hangs up
    assert [type(e) for e in after] == [CallAbandoned, CallEnded]
    assert before[-1].at < after[0].at


def test_the_new_session_tells_the_engine_what_to_resume_and_how_the_call_ended() -> None:
    _, second = sessions("reconnect")
    messages = replay([second])
    live = {m.get("Uniqueid") for m in messages if m.name == "CoreShowChannel"}
    assert "rec-reconnect" in live  # asked at once after the reconnect
    assert reconcile(["rec-reconnect"], live, {}) == [Resume("rec-reconnect")]
    [value] = [m.get("Val") for m in messages if m.name == "DBGetResponse"]
    recorded = parse_recorded_end("rec-reconnect", value)  # asked after its end
    assert (recorded.channel_state, recorded.dialer_state) == ("Up", "abandoned")
    assert outcome_of(recorded) is CallOutcome.ABANDONED
    assert reconcile(["rec-reconnect"], set(), {"rec-reconnect": recorded}) == [
        Close("rec-reconnect", CallOutcome.ABANDONED, recorded.cause, recorded.tech_cause, True)
    ]
