"""Assigning a veille-sociale household through the coordinators' page and the API: to an
untrained volunteer, a 422 naming the field « volunteer », nothing written; to a trained
one, assigned; once that volunteer's account is deactivated, the activity page lists the
household as stuck (offered to nobody), with why."""

from __future__ import annotations

import html
from datetime import date

import httpx
import pytest
from sqlalchemy import update

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage import SessionFactory
from dialer.storage.account_rows import Account
from dialer.storage.database import transaction
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster
from dialer.testing import Clock
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, World, fast_passwords
from tests.web.test_volunteer_desk import ANA, _veille_cycle

pytestmark = pytest.mark.asyncio

DAN = "benevole.dan"
PAGE = "/supervision/benevoles/activite"


async def test_only_a_volunteer_who_can_call_gets_a_household_and_stuck_ones_show(
    client: httpx.AsyncClient, sessions: SessionFactory, world: World, clock: Clock
) -> None:
    for name in (ANA, DAN):
        await create_account(sessions, name, PASSWORD, Role.VOLUNTEER, passwords=fast_passwords())
    await VolunteerRoster(sessions).train(
        ANA, trained_by="superviseur", trained_on=date(2026, 6, 1), actor="t", now=clock()
    )
    campaign_id, _ = await _veille_cycle(sessions, clock)
    csrf = await log_in(client, "superviseur")
    headers = {"X-CSRF-Token": csrf}

    form = await client.post(
        PAGE + "/foyers",
        data={"csrf": csrf, "campagne": str(campaign_id), "foyer": "J1", "benevole": DAN},
    )
    assert form.status_code == 422
    text = html.unescape(form.text)
    assert "Champ « volunteer »" in text
    assert "formation de bénévole non enregistrée" in text
    api = await client.put(
        f"/api/v1/volunteers/households/{campaign_id}/J1", json={"volunteer": DAN},
        headers=headers,
    )  # fmt: skip
    assert api.status_code == 422
    assert "volunteer" in api.json()["erreur"]
    assert await VolunteerCalls(sessions).assignments(campaign_id) == []  # nothing written

    page = html.unescape((await client.get(PAGE)).text)
    assert "Foyers bloqués" not in page
    assert "suivi par le coordinateur" in page  # what a take-over means, said on the form
    assigned = await client.put(
        f"/api/v1/volunteers/households/{campaign_id}/J1", json={"volunteer": ANA},
        headers=headers,
    )  # fmt: skip
    assert assigned.status_code == 200, assigned.text
    async with transaction(sessions) as session:
        await session.execute(update(Account).where(Account.username == ANA).values(active=False))
    page = html.unescape((await client.get(PAGE)).text)
    assert "Foyers bloqués : personne ne les appellera" in page
    stuck = page[page.index("Foyers bloqués") :]
    for shown in ("J1", ANA, "compte désactivé"):
        assert shown in stuck
