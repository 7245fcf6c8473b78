"""The waiting callers' positions: registered callers first, then unknown numbers, oldest
first; said one by one up to nine, then « plusieurs personnes attendent avant vous »; one
prompt line a position word."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialer.core.inbound_queue import (
    MANY,
    Waiting,
    position_prompt_words,
    position_word,
    waiting_positions,
)
from dialer.engine.inbound import WaitingCall
from dialer.engine.inbound_positions import WaitingPositions
from dialer.errors import ConfigurationError
from dialer.telephony.prompts import POSITION_PROMPT, position_prompts
from dialer.testing import FakeNode

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


def test_registered_callers_come_first_then_the_unknown_oldest_first() -> None:
    waiting = [
        Waiting("u-old", T0, unknown=True),
        Waiting("k-late", T0 + timedelta(seconds=9), unknown=False),
        Waiting("k-early", T0 + timedelta(seconds=1), unknown=False),
        Waiting("u-new", T0 + timedelta(seconds=5), unknown=True),
    ]
    assert waiting_positions(waiting) == {"k-early": 1, "k-late": 2, "u-old": 3, "u-new": 4}
    assert waiting_positions([]) == {}


def test_positions_are_said_up_to_nine_then_many() -> None:
    assert [position_word(n) for n in (1, 2, 9, 10, 250)] == ["1", "2", "9", MANY, MANY]
    with pytest.raises(ValueError, match="starts at 1"):
        position_word(0)


def test_each_position_word_has_its_french_prompt() -> None:
    made = position_prompts(Path("/sons"))
    assert [path.name for path, _ in made] == [
        f"{POSITION_PROMPT}-{word}.wav" for word in position_prompt_words()
    ]
    texts = [text for _, text in made]
    assert texts[0] == "Vous êtes la première personne en attente."
    assert texts[2] == "Vous êtes la troisième personne en attente."
    assert texts[-1] == "Plusieurs personnes attendent avant vous."
    assert len(set(texts)) == len(texts)


def test_a_position_file_missing_a_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "inbound_position_fr.txt").write_text("Vous êtes la première.\n", "utf-8")
    with pytest.raises(ConfigurationError, match=r"inbound_position_fr\.txt"):
        position_prompts(Path("/sons"), tmp_path)


class HangsUpWhileTold(FakeNode):
    """A node whose every Setvar takes a turn of the loop, during which ``gone`` hangs up
    (its end handled outside the serving, as the engine's events are)."""

    def __init__(self, waiting: dict[str, WaitingCall], gone: str) -> None:
        super().__init__()
        self.waiting, self.gone = waiting, gone

    async def tell_position(self, channel_id: str, word: str) -> bool:
        await asyncio.sleep(0)
        self.waiting.pop(self.gone, None)
        return await super().tell_position(channel_id, word)


@pytest.mark.asyncio
async def test_a_caller_hanging_up_while_others_are_told_is_skipped() -> None:
    waiting: dict[str, WaitingCall] = {}
    node = HangsUpWhileTold(waiting, gone="c")
    for n, attempt_id in enumerate("abc"):
        waiting[attempt_id] = WaitingCall(attempt_id, "+33600000000", node, T0 + timedelta(n))
    await WaitingPositions().tell(waiting)  # no KeyError: « c » left while « a » was told
    assert node.positions == [("a", "1"), ("b", "2")]


@pytest.mark.asyncio
async def test_a_position_not_told_is_not_asked_again_at_every_serving() -> None:
    class Refusing(FakeNode):
        async def tell_position(self, channel_id: str, word: str) -> bool:
            self.positions.append((channel_id, word))
            return False  # gone, or a node too slow

    node = Refusing()
    waiting = {"a": WaitingCall("a", "+33600000000", node, T0)}
    positions = WaitingPositions()
    await positions.tell(waiting)
    await positions.tell(waiting)
    assert node.positions == [("a", "1")]
