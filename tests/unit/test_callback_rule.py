"""When a callback may be promised (:func:`dialer.core.callbacks.callback_problem`): with no
attempt left in the cycle it is refused (it would never be placed), unless an alert
episode runs the campaign (no deadline: the next cycle takes it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.core.attempts import AttemptKind
from dialer.core.callbacks import attempts_left, callback_problem
from dialer.core.outcomes import CallOutcome
from dialer.core.planning import AttemptRecord

NOW = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=3)
DEADLINE = NOW + timedelta(days=1)


def test_no_attempt_left_refuses_the_callback_but_an_episode_takes_it_to_the_next_cycle() -> None:
    assert callback_problem(LATER, now=NOW, deadline=DEADLINE, attempts_left=1) is None
    refused = callback_problem(LATER, now=NOW, deadline=DEADLINE, attempts_left=0)
    assert refused is not None
    assert refused.startswith("champ « callback_at » : ")
    assert "jamais passé" in refused
    assert callback_problem(LATER, now=NOW, deadline=None, attempts_left=0) is None


def test_an_abandoned_automatic_call_leaves_the_attempt() -> None:
    placed = [
        AttemptRecord(NOW, "+33145678910", CallOutcome.NO_ANSWER),
        AttemptRecord(NOW, "+33145678910", CallOutcome.ABANDONED),  # owed a call-back
        AttemptRecord(NOW, "+33145678910", CallOutcome.ANSWERED, kind=AttemptKind.CALLBACK),
    ]
    assert attempts_left(placed, 4) == 2
    assert attempts_left(placed, 2) == 0
