"""The alert dispatcher's own loop: its poll sleeps on the injected clock, a wake that comes
while a run is under way brings another run at once, and stopping waits for the run under
way instead of cutting a database transaction in half."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from dialer.alerts import AlertDispatcher, AlertRaiser
from dialer.alerts.messages import OutboxJob
from dialer.core.questionnaire import Need
from dialer.storage import SessionFactory
from dialer.storage.alert_rows import DeliveryState
from dialer.testing import Clock
from tests.stored import deliveries_of_alert
from tests.web.support import World
from tests.web.test_delivery import delivery_world, water_alert, webhook_server

pytestmark = pytest.mark.asyncio
__all__ = ["delivery_world", "webhook_server"]  # fixtures used by name below


class HeldChannel:
    """A webhook channel that holds each send until the test lets it go."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[int] = []

    async def send(self, job: OutboxJob) -> None:
        self.started.set()
        await self.release.wait()
        self.sent.append(job.delivery.id)


async def test_the_poll_sleeps_on_the_injected_clock(
    delivery_world: tuple[SessionFactory, World, int], clock: Clock
) -> None:
    sessions, _, _ = delivery_world
    dispatcher = AlertDispatcher(sessions, clock=clock, sleep=clock.sleep, poll_s=30.0)
    await dispatcher.start()
    try:
        await clock.wait_for_sleepers()
        assert dispatcher.statistics()["runs"] == 1
        clock.advance(29)
        await asyncio.sleep(0)
        assert clock.sleeping == 1  # not yet: 29 of the 30 seconds
        clock.advance(1)
        await clock.wait_for_sleepers()
        assert dispatcher.statistics()["runs"] == 2
    finally:
        await dispatcher.stop()
    assert dispatcher.statistics()["running"] is False


async def test_a_wake_during_a_run_brings_another_run_and_stop_lets_the_run_finish(
    delivery_world: tuple[SessionFactory, World, int], clock: Clock
) -> None:
    sessions, _, sheet_id = delivery_world
    hook = HeldChannel()
    dispatcher = AlertDispatcher(
        sessions, clock=clock, webhook=hook, sleep=clock.sleep, poll_s=3600.0
    )
    raiser = AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
    [first] = await raiser.raise_now(sheet_id, [water_alert()], district="Nord", raised_by="agent1")
    await dispatcher.start()
    try:
        await asyncio.wait_for(hook.started.wait(), 5)  # the first run is sending
        [second] = await raiser.raise_now(  # raised (and woken) during that run
            sheet_id, [water_alert(priority=1)], district="Nord", raised_by="agent1"
        )
        hook.release.set()
        await clock.wait_for_sleepers()  # no time passed on the clock
        assert dispatcher.statistics()["runs"] == 2
        for alert_id in (first.id, second.id):
            hooks = [
                d
                for d in await deliveries_of_alert(sessions, alert_id)
                if d.target.startswith("http")
            ]
            assert [d.state for d in hooks] == [DeliveryState.SENT]
        # a stop that arrives while a send is held waits for it to end
        hook.release.clear()
        hook.started.clear()
        [third] = await raiser.raise_now(
            sheet_id,
            [replace(water_alert(), need=Need.SOCIAL, message="Très isolée : une visite.")],
            district="Nord",
            raised_by="agent1",
        )
        await asyncio.wait_for(hook.started.wait(), 5)
        stopping = asyncio.create_task(dispatcher.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()
        hook.release.set()
        await asyncio.wait_for(stopping, 5)
        hooks = [
            d for d in await deliveries_of_alert(sessions, third.id) if d.target.startswith("http")
        ]
        assert [d.state for d in hooks] == [DeliveryState.SENT]
    finally:
        hook.release.set()
        await dispatcher.stop()
    assert dispatcher.statistics()["running"] is False
