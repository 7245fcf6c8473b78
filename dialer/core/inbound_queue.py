"""The callers waiting for an agent, as each hears it: their position in the queue.

Pure rules (no I/O). The engine serves the callers whose number is on a register first,
oldest first, then the unknown numbers, oldest first (:mod:`dialer.engine.inbound`); the
position a caller is told follows that order. The dialplan plays
``dialer/inbound-position-<word>`` after the waiting message, ``<word>`` being
:func:`position_word` of the position.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

#: positions said one by one (« vous êtes la troisième personne en attente »); beyond,
#: « plusieurs personnes attendent avant vous »
SAID_POSITIONS = 9
#: the word of the prompt for a position beyond :data:`SAID_POSITIONS`
MANY = "many"


@dataclass(frozen=True)
class Waiting:
    attempt_id: str
    arrived_at: datetime
    #: a number on no register: served after the known callers
    unknown: bool


def waiting_positions(waiting: Iterable[Waiting]) -> dict[str, int]:
    """Each waiting call's position (1 is the next served), by attempt id."""
    order = sorted(waiting, key=lambda w: (w.unknown, w.arrived_at, w.attempt_id))
    return {w.attempt_id: rank for rank, w in enumerate(order, start=1)}


def position_word(position: int) -> str:
    """The prompt's word for ``position`` (≥ 1): its number up to :data:`SAID_POSITIONS`,
    then :data:`MANY`."""
    if position < 1:
        raise ValueError(f"a position starts at 1, not {position}")
    return str(position) if position <= SAID_POSITIONS else MANY


def position_prompt_words() -> tuple[str, ...]:
    """Every prompt word, in the order of the lines of ``inbound_position_fr.txt``."""
    return (*(str(n) for n in range(1, SAID_POSITIONS + 1)), MANY)
