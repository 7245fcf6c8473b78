"""Issue 17, the lists page and a campaign's selection page: the lists with their counts,
the selection with its count before the start, saved by a supervisor (CSRF), a bad value
re-shown with the field named (422), a running campaign's selection refused (409)."""

from __future__ import annotations

from typing import Any

import pytest

from dialer.storage.selection import campaign_selection
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer

pytestmark = pytest.mark.asyncio
__all__ = ["steer"]

FORM: dict[str, Any] = {"last_name": "Lemoine", "birth_date": "14/03/1941",
                        "phones": ["01 45 67 89 11"]}  # fmt: skip


def page(steer: SteerRig) -> str:
    return f"/supervision/selections/{steer.world.campaign_id}"


async def test_the_selection_page_shows_the_count_and_saves_it(steer: SteerRig) -> None:
    put = await steer.http.put(
        "/api/v1/people/INSCR-1?list=isolés", json=FORM, headers=steer.auth("superviseur")
    )
    assert put.status_code == 201, put.text
    csrf = await log_in(steer.http, "superviseur")
    listing = await steer.http.get("/supervision/listes")
    assert listing.status_code == 200
    assert "<td>isolés</td><td>1</td>" in listing.text
    shown = await steer.http.get(page(steer))
    assert shown.status_code == 200
    assert 'id="effectif-nombre"' in shown.text
    assert "Démarrer la campagne" in shown.text

    refused = await steer.http.post(page(steer), data={"csrf": "x", "lists": "isolés"})
    assert refused.status_code == 403
    saved = await steer.http.post(
        page(steer), data={"csrf": csrf, "lists": "isolés", "min_age": "65"}
    )
    assert saved.status_code == 303, saved.text
    after = await steer.http.get(saved.headers["location"])
    assert "Sélection enregistrée : 1 personne(s)" in after.text
    assert '<strong id="effectif-nombre">1</strong>' in after.text
    stored = await campaign_selection(steer.sessions, steer.world.campaign_id)
    assert (stored.lists, stored.min_age) == (("isolés",), 65)

    bad = await steer.http.post(page(steer), data={"csrf": csrf, "flags": "fumeur"})
    assert bad.status_code == 422
    assert "selection.flags" in bad.text.lower()
    unknown = await steer.http.post(page(steer), data={"csrf": csrf, "lists": "nulle"})
    assert unknown.status_code == 422
    assert "selection.lists" in unknown.text.lower()
    await steer.control.start(steer.world.campaign_id, actor="superviseur")
    running = await steer.http.post(page(steer), data={"csrf": csrf})
    assert running.status_code == 409
    stored = await campaign_selection(steer.sessions, steer.world.campaign_id)
    assert stored.lists == ("isolés",)


async def test_an_agent_may_not_see_the_selection(steer: SteerRig) -> None:
    await log_in(steer.http, "agent1")
    assert (await steer.http.get(page(steer))).status_code == 403
    assert (await steer.http.get("/supervision/listes")).status_code == 403
