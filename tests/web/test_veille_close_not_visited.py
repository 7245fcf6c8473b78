"""A veille-sociale plan closed by the service's own loop (on the test's clock): the
household whose consent was withdrawn through the API ends « withdrawn », the other one
not reached ends « never reached », and the alert dispatcher sends neither to the field
teams (an empty list, no message, no visit request, nothing on the team's inbox page)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from dialer.alerts import AlertDispatcher
from dialer.core.attempts import CycleResult
from dialer.storage.database import transaction
from dialer.storage.models import CycleResultRow, Person
from tests.web.conftest import log_in
from tests.web.support import T0
from tests.web.test_campaign_plans import BODY, URL, PlanRig, rig

pytestmark = pytest.mark.asyncio
__all__ = ["rig"]  # the planning rig, by fixture name


async def test_a_closed_veille_plan_sends_nobody_to_visit(rig: PlanRig) -> None:
    planned = await rig.http.post(URL, json=BODY, headers=rig.auth())
    assert planned.status_code == 201, planned.text
    await rig.plans.start_keeping()
    await rig.clock.wait_for_sleepers()
    rig.clock.advance((T0.replace(day=14, hour=22) - rig.clock()).total_seconds() + 5)
    await rig.clock.wait_for_sleepers()  # opened: V1 and V2 enrolled
    withdrawn = await rig.http.post(
        "/api/v1/people/V1/consent/withdraw", json={"channel": "phone"}, headers=rig.auth()
    )
    assert withdrawn.status_code == 200, withdrawn.text
    rig.clock.advance(days=3)
    await rig.clock.wait_for_sleepers()  # closed after its end date
    async with transaction(rig.sessions) as session:
        results = dict(
            (
                await session.execute(
                    select(Person.external_id, CycleResultRow.result).join(
                        Person, Person.id == CycleResultRow.person_id
                    )
                )
            ).all()
        )
    assert results == {"V1": CycleResult.WITHDRAWN, "V2": CycleResult.NEVER_REACHED}

    dispatcher = AlertDispatcher(rig.sessions, clock=rig.clock)
    report = await dispatcher.run_once()
    assert (report.published, report.sent) == (1, 0)  # published empty: nothing to send
    assert dispatcher.statistics()["visits_requested"] == 0
    assert (await dispatcher.run_once()).published == 0

    await log_in(rig.http, "membre.nord")  # V1 and V2 live in Nord
    page = html.unescape((await rig.http.get("/alertes")).text)
    assert "Foyer V1" not in page
    assert "Foyer V2" not in page
    assert "cycle 1 :" not in page
