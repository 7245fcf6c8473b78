"""One « none » box on a veille-sociale call: the call's view tells the screen that
« besoins » declares its own « Rien de particulier » (``exclusive``), so the screen adds no
« Aucun de ceux-ci » (``none_box`` false); the agent's API refuses « Rien de particulier »
ticked with a need (422 naming the question by its text, the needs given before kept) and
takes it alone (the second level closes)."""

from __future__ import annotations

import httpx
import pytest

from dialer.storage import SessionFactory
from dialer.testing import Clock
from tests.web.support import FakeDesk, World
from tests.web.test_orientation import catalog, on_volunteer_call

pytestmark = pytest.mark.asyncio
__all__ = ["catalog"]  # the shipped veille-sociale questionnaire, by fixture name


async def test_besoins_shows_its_own_none_only_and_keeps_it_alone(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, desk: FakeDesk, clock: Clock
) -> None:
    me, attempt_id = await on_volunteer_call(client, sessions, world, desk, clock)  # 2 needs
    call = f"/api/v1/agent/calls/{attempt_id}"
    view = (await client.get(call)).json()
    questions = {q["id"]: q for q in view["questionnaire"]["questions"]}
    besoins = questions["besoins"]
    assert besoins["none_box"] is False
    assert [(c["id"], c["label"]) for c in besoins["choices"] if c["exclusive"]] == [
        ("aucun", "Rien de particulier")
    ]
    assert all(q["none_box"] is False for q in questions.values())  # no other multiple choice

    both = await me.answer(attempt_id, "besoins", ["aucun", "alimentation"])
    assert both.status_code == 422, both.text
    assert "Y a-t-il quelque chose qui vous pose difficulté" in both.text  # the question
    assert "« Rien de particulier » se coche seul" in both.json()["erreur"]  # and why
    answers = (await client.get(call)).json()["sheet"]["answers"]
    assert answers["besoins"] == ["alimentation", "logement"]  # unchanged

    alone = await me.answer(attempt_id, "besoins", ["aucun"])
    assert alone.status_code == 200, alone.text
    assert "alimentation_repas" not in alone.json()["visible"]  # no second level opened
    assert (await client.get(call)).json()["sheet"]["answers"]["besoins"] == ["aucun"]
