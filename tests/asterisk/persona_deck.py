"""A shuffled deck of personas for the rig tests' robots (so a short run still meets every
kind of person)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from dialer.rig.robot_personas import Persona, PersonaSource, RandomPersonas


class PersonaDeck:
    """A shuffled deck of personas shared by several robots (so a short run still meets
    every kind of person); random draws once it is empty."""

    def __init__(
        self,
        cards: Sequence[Persona],
        rng: random.Random,
        then: PersonaSource | None = None,
    ) -> None:
        self._cards = list(cards)
        rng.shuffle(self._cards)
        self._then = then or RandomPersonas()

    def deal(self, rng: random.Random) -> Persona:
        if self._cards:
            return self._cards.pop()
        return self._then.deal(rng)

    def __len__(self) -> int:
        return len(self._cards)
