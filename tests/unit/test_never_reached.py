from __future__ import annotations

import pytest

from dialer.core.attempts import CycleResult
from dialer.core.cycles import NeverReachedReason
from dialer.core.labels import never_reached_text
from dialer.core.never_reached import listed_reason
from dialer.core.planning import DoneReason

EXHAUSTED = NeverReachedReason.ATTEMPTS_EXHAUSTED
DEADLINE = NeverReachedReason.DEADLINE_REACHED
NEVER = NeverReachedReason.NEVER_ATTEMPTED


@pytest.mark.parametrize(
    ("result", "stored", "note", "attempts", "reason", "text"),
    [
        (
            CycleResult.NEVER_REACHED,
            EXHAUSTED,
            "",
            4,
            EXHAUSTED,
            "tentatives épuisées après 4 tentatives",
        ),
        (
            CycleResult.NEVER_REACHED,
            DEADLINE,
            "",
            1,
            DEADLINE,
            "échéance du cycle atteinte après 1 tentative",
        ),
        (CycleResult.NEVER_REACHED, NEVER, "", 0, NEVER, "jamais appelé faute de capacité"),
        # results recorded before the reason was: the planner's reason is in the note
        (
            CycleResult.NEVER_REACHED,
            None,
            DoneReason.ATTEMPTS_EXHAUSTED.value,
            4,
            EXHAUSTED,
            "tentatives épuisées après 4 tentatives",
        ),
        (
            CycleResult.NEVER_REACHED,
            None,
            DoneReason.DEADLINE_REACHED.value,
            2,
            DEADLINE,
            "échéance du cycle atteinte après 2 tentatives",
        ),
        (CycleResult.NEVER_REACHED, None, "", 0, NEVER, "jamais appelé faute de capacité"),
        (CycleResult.WRONG_NUMBER, None, "", 1, None, "aucun numéro valide après 1 tentative"),
        (CycleResult.WRONG_NUMBER, None, "", 0, None, "aucun numéro valide"),
    ],
)
def test_each_person_left_is_listed_with_why(
    result: CycleResult,
    stored: NeverReachedReason | None,
    note: str,
    attempts: int,
    reason: NeverReachedReason | None,
    text: str,
) -> None:
    found = listed_reason(result, stored, note, attempts)
    assert found is reason
    assert never_reached_text(found, attempts) == text


def test_a_reached_person_is_not_on_the_list() -> None:
    with pytest.raises(ValueError, match="reached"):
        listed_reason(CycleResult.REACHED, None, "", 1)
