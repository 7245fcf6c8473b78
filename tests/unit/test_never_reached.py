from __future__ import annotations

import pytest

from dialer.core.attempts import CycleResult
from dialer.core.labels import never_reached_text
from dialer.core.never_reached import NeverReachedReason, never_reached_reason
from dialer.core.planning import DoneReason


@pytest.mark.parametrize(
    ("result", "note", "attempts", "reason", "text"),
    [
        (
            CycleResult.NEVER_REACHED,
            DoneReason.ATTEMPTS_EXHAUSTED.value,
            4,
            NeverReachedReason.ATTEMPTS_EXHAUSTED,
            "tentatives épuisées après 4 tentatives",
        ),
        (
            CycleResult.NEVER_REACHED,
            DoneReason.DEADLINE_REACHED.value,
            1,
            NeverReachedReason.DEADLINE_AFTER_ATTEMPTS,
            "échéance du cycle atteinte après 1 tentative",
        ),
        (
            CycleResult.NEVER_REACHED,
            DoneReason.DEADLINE_REACHED.value,
            0,
            NeverReachedReason.NO_CAPACITY,
            "jamais appelé faute de capacité",
        ),
        (
            CycleResult.NEVER_REACHED,
            "",
            0,
            NeverReachedReason.NO_CAPACITY,
            "jamais appelé faute de capacité",
        ),
        (
            CycleResult.NEVER_REACHED,
            DoneReason.NO_VALID_NUMBER.value,
            2,
            NeverReachedReason.NO_VALID_NUMBER,
            "aucun numéro valide après 2 tentatives",
        ),
        (
            CycleResult.WRONG_NUMBER,
            "",
            1,
            NeverReachedReason.NO_VALID_NUMBER,
            "aucun numéro valide après 1 tentative",
        ),
    ],
)
def test_each_person_left_is_listed_with_why(
    result: CycleResult, note: str, attempts: int, reason: NeverReachedReason, text: str
) -> None:
    found = never_reached_reason(result, note, attempts)
    assert found is reason
    assert never_reached_text(found, attempts) == text


def test_a_reached_person_is_not_on_the_list() -> None:
    with pytest.raises(ValueError, match="reached"):
        never_reached_reason(CycleResult.REACHED, "", 1)
