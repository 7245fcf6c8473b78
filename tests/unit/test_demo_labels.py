"""`make demo` checks the telephony with one simulated callee of each behaviour and prints
what each does in French: every behaviour needs its words (a new one crashed the demo)."""

from __future__ import annotations

from dialer.cli.demo import BEHAVIOURS_FR
from dialer.rig.callees import CalleeBehaviour


def test_every_callee_behaviour_has_its_french_words() -> None:
    assert set(BEHAVIOURS_FR) == set(CalleeBehaviour)
    assert all(words.strip() for words in BEHAVIOURS_FR.values())
