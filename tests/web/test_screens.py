"""The agents' screens hub: the payload is prepared on reservation and pushed on join."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from starlette.applications import Starlette

from dialer.core.attempts import Disposition
from dialer.storage import CycleRepository, SessionFactory
from dialer.storage.answers import CallSheetRepository, SheetSubmission
from dialer.testing import Clock
from dialer.web.app import screens_of
from tests.web.support import FakeDesk, World, place_call

pytestmark = pytest.mark.asyncio


async def test_the_screen_is_prepared_on_reservation_and_sent_on_join(
    app: Starlette, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    # an earlier cycle's call, with its answers, shows in the history
    earlier = await place_call(
        sessions,
        world,
        person_id=world.jeanne_id,
        now=clock() - timedelta(days=3),
        number="+33145678910",
    )
    sheets = CallSheetRepository(sessions)
    sheet = await sheets.open(
        attempt_id=earlier,
        person_id=world.jeanne_id,
        cycle_id=world.cycle_id,
        agent="agent2",
        questionnaire_id="veille_test",
        questionnaire_version=2,
        now=clock() - timedelta(days=3),
    )
    await sheets.save_answer(sheet.id, "vit_seul", True, now=clock())
    await sheets.submit(
        sheet.id,
        SheetSubmission(Disposition.INTERRUPTED, "coupé", None, 2.0, "faible", False),
        alerts=[],
        raised_by="agent2",
        now=clock() - timedelta(days=3),
    )
    await CycleRepository(sessions).close(world.cycle_id, at=clock())
    screens = screens_of(app)
    await desk.log_in("agent1", "agent-1001")
    desk.go_ready("agent1")
    attempt_id = await place_call(
        sessions, world, person_id=world.jeanne_id, now=clock(), number="+33145678910"
    )
    socket = screens.open("agent1")
    desk.reserve("agent1", attempt_id)
    await screens.reserved("agent1", attempt_id)
    # the engine answers, bridges... meanwhile the view is made ready (however loaded the
    # machine: the test waits for the preparation itself, not for a set time)
    await asyncio.wait_for(asyncio.shield(screens._prepared["agent1"].task), timeout=10)
    assert socket.queue.empty()  # nothing is shown before the join
    desk.join("agent1")
    await screens.joined("agent1", attempt_id)
    message = json.loads(socket.queue.get_nowait())  # queued by joined() itself
    assert message["type"] == "call"
    assert message["state"]["state"] == "on_call"
    view = message["view"]
    assert view["person"]["name"] == "Jeanne DUPONT"
    assert "show_if" not in view["questionnaire"]["questions"][2]  # the skip logic is the server's
    assert view["sheet"]["visible"] == ["malaise", "vit_seul", "eau", "chaleur"]  # not visites
    assert view["sheet"]["emergency"] is None
    [previous] = view["history"]["sheets"]
    assert previous["disposition"] == "Appel interrompu, questionnaire incomplet"
    assert previous["answers"] == [{"question": "Vivez-vous seul(e) ?", "answer": "oui"}]
    desk.end("agent1")
    await screens.ended("agent1", attempt_id)
    assert json.loads(socket.queue.get_nowait())["type"] == "ended"
    stats = screens.statistics()
    assert (stats["reserved"], stats["joined"], stats["ended"], stats["screens_open"]) == (
        1,
        1,
        1,
        1,
    )
    screens.close(socket)
    assert screens.statistics()["screens_open"] == 0


async def test_a_join_without_reservation_still_pops_the_screen(
    app: Starlette, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    screens = screens_of(app)
    await desk.log_in("agent1", "agent-1001")
    desk.go_ready("agent1")
    attempt_id = await place_call(
        sessions, world, person_id=world.bob_id, now=clock(), number="+33155555555"
    )
    socket = screens.open("agent1")
    desk.reserve("agent1", attempt_id)
    desk.join("agent1")
    await screens.joined("agent1", attempt_id)
    message = json.loads(await asyncio.wait_for(socket.queue.get(), 5))
    assert message["view"]["person"]["name"] == "Robert MARTIN"
