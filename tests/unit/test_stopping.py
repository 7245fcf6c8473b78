"""A graceful stop: no new dial, the call in progress and its sheet finish, then the
agents' lines are released; a call still going on at the bound is left to Asterisk."""

from __future__ import annotations

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.attempts import CycleResult
from dialer.engine.stopping import drain
from dialer.telephony.port import CallEnded
from tests.unit.test_engine import make_engine, on_call


@pytest.mark.asyncio
async def test_a_stop_lets_the_call_and_its_sheet_finish_then_releases_every_line() -> None:
    engine, node, _, queue, clock = await make_engine(count=3, agents=2)
    await on_call(engine, node, clock)  # agent-1001 talks to att-0; agent-1002 has att-1
    steps: list[str] = []

    async def the_world_goes_on(_s: float) -> None:
        clock.advance(1)
        if not steps:
            steps.append("person hangs up")
            await engine.handle(CallEnded("att-0", 16, None, clock.now), node)
            await engine.handle(CallEnded("att-1", 19, None, clock.now), node)  # no answer
        elif len(steps) == 1:
            steps.append("sheet given")
            await engine.finish_wrap_up("agent-1001", CycleResult.REACHED)

    drained = await drain(engine, bound_s=60, sleep=the_world_goes_on)
    assert steps == ["person hangs up", "sheet given"]
    assert (drained.calls_left, drained.wrap_ups_left, drained.lines_released) == (0, 0, 2)
    assert queue.results == {"att-0": CycleResult.REACHED}
    assert {s.state for s in engine.seats.seats()} == {AgentState.LOGGED_OUT}
    assert len(node.hangups) == 2  # both agents' legs
    placed = len(node.placed)
    assert (await engine.tick()).dials == 0
    assert len(node.placed) == placed  # nobody dialled after the stop began


@pytest.mark.asyncio
async def test_a_call_still_going_on_at_the_bound_is_left_to_asterisk() -> None:
    engine, node, _, _, clock = await make_engine(count=1, agents=1)
    await on_call(engine, node, clock)
    waits: list[float] = []

    async def nothing_happens(seconds: float) -> None:
        waits.append(seconds)

    drained = await drain(engine, bound_s=5, poll_s=0.5, sleep=nothing_happens)
    assert sum(waits) == pytest.approx(5)
    assert (drained.calls_left, drained.lines_released) == (1, 0)
    assert engine.seats.get("agent-1001").state is AgentState.ON_CALL
    assert node.hangups == []  # the person is not cut off
