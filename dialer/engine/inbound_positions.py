"""Telling each caller waiting for an agent their position in the queue.

After each serving (a call arrived, a tick), the positions of the calls still waiting are
worked out (:func:`dialer.core.inbound_queue.waiting_positions`) and each caller whose
position changed is told it over AMI; the dialplan says it after the waiting message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dialer.core.inbound_queue import Waiting, position_word, waiting_positions
from dialer.errors import DialerError

if TYPE_CHECKING:
    from dialer.engine.inbound import WaitingCall

log = logging.getLogger(__name__)


class WaitingPositions:
    """The position word each waiting caller was last told."""

    def __init__(self) -> None:
        self.told: dict[str, str] = {}

    async def tell(self, waiting: Mapping[str, WaitingCall]) -> None:
        positions = waiting_positions(
            Waiting(call.attempt_id, call.arrived_at, call.unknown) for call in waiting.values()
        )
        for attempt_id in list(self.told):
            if attempt_id not in positions:  # taken, gone, called back
                del self.told[attempt_id]
        for attempt_id, position in positions.items():
            word = position_word(position)
            # ``waiting`` is the engine's own: a caller who hangs up while an earlier one
            # is told is gone from it (its end is handled outside the serving lock)
            call = waiting.get(attempt_id)
            if call is None or self.told.get(attempt_id) == word:
                continue
            try:
                await call.node.tell_position(attempt_id, word)
            except DialerError as exc:  # no session: told at the next serving
                log.info("position of incoming call %s not told: %s", attempt_id, exc)
                continue
            # told, or refused (gone, or a node too slow): not asked again for this word,
            # or every serving would wait on it
            self.told[attempt_id] = word
