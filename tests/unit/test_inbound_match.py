"""Whom a call coming in is attached to: a person is never in two calls at once."""

from __future__ import annotations

from dialer.core.attempts import CallState
from dialer.core.inbound_match import (
    Holder,
    InboundMatch,
    LineUse,
    attachable,
    line_use,
    match_caller,
)


def test_what_a_person_is_doing_follows_their_outbound_call() -> None:
    assert line_use(None) is LineUse.FREE
    assert line_use(CallState.DIALING) is LineUse.DIALLING
    assert line_use(CallState.RINGING) is LineUse.DIALLING
    assert line_use(CallState.ANSWERED) is LineUse.ON_CALL
    assert line_use(CallState.JOINED) is LineUse.ON_CALL
    assert line_use(CallState.ENDED) is LineUse.FREE
    assert not attachable(LineUse.ON_CALL)
    assert attachable(LineUse.DIALLING)


def test_the_ringing_outbound_call_is_withdrawn_for_the_person_calling_in() -> None:
    ringing = Holder(7, waiting=False, use=LineUse.DIALLING, attempt_id="out-7")
    assert match_caller([ringing]) == InboundMatch(7, withdraw="out-7")


def test_a_person_on_the_line_with_us_is_never_attached_a_second_call() -> None:
    answered = Holder(7, waiting=False, use=LineUse.ON_CALL, attempt_id="out-7")
    assert match_caller([answered]) is None
    # a shared line: the other holder takes it, the call in progress goes on
    other = Holder(8, waiting=False)
    assert match_caller([answered, other]) == InboundMatch(8, withdraw=None)


def test_on_a_shared_line_one_waiting_first_then_one_dialled_then_the_first() -> None:
    first, waiting = Holder(1, waiting=False), Holder(2, waiting=True)
    dialled = Holder(3, waiting=False, use=LineUse.DIALLING, attempt_id="out-3")
    assert match_caller([first, dialled, waiting]) == InboundMatch(2, withdraw=None)
    assert match_caller([first, dialled]) == InboundMatch(3, withdraw="out-3")
    assert match_caller([first, Holder(4, waiting=False)]) == InboundMatch(1, withdraw=None)
    assert match_caller([]) is None
