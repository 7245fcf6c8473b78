"""Veille-sociale campaigns planned by dates, through the real entry points: the REST API
and the supervisor's page plan them (bad dates a 422 naming the field, nothing written;
agents 403), and the service's own loop (on the test's clock) opens the campaign at its
start date, with only the consenting households of its list, and closes it after its end
date, the households still waiting ending it not reached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from dialer.campaigns.control import CampaignControl
from dialer.campaigns.plans import PlanControl
from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.core.cycles import NeverReachedReason
from dialer.core.pacing_settings import PacingMode
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage import CampaignRepository, CycleRepository, SessionFactory
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.campaign_plans import CampaignPlan
from dialer.storage.database import transaction
from dialer.storage.models import Campaign, Cycle, CycleResultRow, Person
from dialer.storage.schedule import CycleMember
from dialer.testing import Clock
from dialer.web.app import create_app
from tests.stored import consenting_households
from tests.web.conftest import log_in
from tests.web.steering_support import build_engine
from tests.web.support import SECRET_KEY, T0, World, fast_passwords

URL = "/api/v1/campaign-plans"
PAGE = "/supervision/campagnes-planifiees"
LIST = "veille_sociale"
#: T0 is Monday 13 July 2026, 09:00 UTC; the plan runs Wednesday 15 to Friday 17
BODY = {"list": LIST, "starts_on": "2026-07-15", "ends_on": "2026-07-17"}


@dataclass
class PlanRig:
    http: httpx.AsyncClient
    control: CampaignControl
    plans: PlanControl
    sessions: SessionFactory
    clock: Clock
    tokens: dict[str, str]

    def auth(self, who: str = "superviseur") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def consenting_list(sessions: SessionFactory) -> None:
    """Three households on the veille-sociale list: V1 and V2 agreed to regular calls, V3
    did not."""
    both = (True, False)
    await consenting_households(sessions, {"V1": both, "V2": both, "V3": None}, now=T0)


@pytest_asyncio.fixture
async def rig(
    sessions: SessionFactory, world: World, catalog: QuestionnaireCatalog, clock: Clock
) -> AsyncIterator[PlanRig]:
    _, _, control = await build_engine(sessions, clock)
    plans = PlanControl(control, check_s=5, sleep=clock.sleep)
    app = create_app(
        sessions=sessions,
        engine=control.engine,
        questionnaires=catalog,
        secret_key=SECRET_KEY,
        clock=clock,
        secure_cookies=False,
        passwords=fast_passwords(),
        control=control,
        plans=plans,
    )
    tokens = {}
    for who in ("superviseur", "agent1"):
        _, tokens[who] = await ApiTokenRepository(sessions).create(
            name=f"jeton-{who}", username=who, created_by="test", now=clock(),
            lifetime=timedelta(days=90),
        )  # fmt: skip
    await consenting_list(sessions)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield PlanRig(http, control, plans, sessions, clock, tokens)
    await plans.stop_keeping()
    await control.engine.flush()


async def members(sessions: SessionFactory, campaign_id: int) -> set[str]:
    async with transaction(sessions) as session:
        return set(
            await session.scalars(
                select(Person.external_id)
                .join(CycleMember, CycleMember.person_id == Person.id)
                .join(Cycle, Cycle.id == CycleMember.cycle_id)
                .where(Cycle.campaign_id == campaign_id)
            )
        )


async def count_rows(sessions: SessionFactory, model: type) -> int:
    async with transaction(sessions) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.asyncio
async def test_the_service_opens_the_plan_at_its_start_and_closes_it_after_its_end(
    rig: PlanRig,
) -> None:
    answer = await rig.http.post(URL, json=BODY, headers=rig.auth())
    assert answer.status_code == 201, answer.text
    planned = answer.json()
    campaign_id = planned["campaign_id"]
    assert planned["campaign"]["state"] == "draft"
    campaign = await CampaignRepository(rig.sessions).get(campaign_id)
    assert campaign.kind is CampaignKind.VEILLE_SOCIALE
    assert campaign.pacing_mode is PacingMode.PREVIEW
    assert campaign.retry_policy["max_attempts"] == 3  # the template's: fewer, over days
    assert campaign.selection is not None
    assert campaign.selection["lists"] == [LIST]
    listed = await rig.http.get(URL, headers=rig.auth())
    assert [p["campaign_id"] for p in listed.json()["items"]] == [campaign_id]

    # its settings are edited as any campaign's before it opens
    settings_url = f"/api/v1/campaigns/{campaign_id}/settings"
    read = (await rig.http.get(settings_url, headers=rig.auth())).json()
    changed = await rig.http.patch(
        settings_url, json={"max_attempts": 2, "version": read["version"]}, headers=rig.auth()
    )
    assert changed.status_code == 200, changed.text
    assert (await CampaignRepository(rig.sessions).get(campaign_id)).retry_policy[
        "max_attempts"
    ] == 2

    await rig.plans.start_keeping()
    await rig.clock.wait_for_sleepers()
    assert (await CampaignRepository(rig.sessions).get(campaign_id)).state is CampaignState.DRAFT

    # Wednesday 15 July, 00:00 in Paris is 22:00 UTC on Tuesday 14
    rig.clock.advance((T0.replace(day=14, hour=22) - rig.clock()).total_seconds() + 5)
    await rig.clock.wait_for_sleepers()
    campaign = await CampaignRepository(rig.sessions).get(campaign_id)
    assert campaign.state is CampaignState.RUNNING
    assert campaign.id in rig.control.attached
    assert await members(rig.sessions, campaign_id) == {"V1", "V2"}  # V3 never agreed
    cycle = await CycleRepository(rig.sessions).current(campaign_id)
    assert cycle is not None
    assert cycle.deadline == T0.replace(day=17, hour=22)  # the end of Friday in Paris

    # after Friday: closed, both households still waiting end it not reached
    rig.clock.advance(days=3)
    await rig.clock.wait_for_sleepers()
    campaign = await CampaignRepository(rig.sessions).get(campaign_id)
    assert campaign.state is CampaignState.FINISHED
    assert campaign.id not in rig.control.attached
    async with transaction(rig.sessions) as session:
        reasons = list(
            await session.scalars(
                select(CycleResultRow.never_reached_reason).where(
                    CycleResultRow.cycle_id == cycle.id
                )
            )
        )
        plan = await session.scalar(select(CampaignPlan))
    assert reasons == [NeverReachedReason.NEVER_ATTEMPTED] * 2
    assert plan is not None
    assert plan.opened_at is not None
    assert plan.closed_at is not None
    assert rig.plans.counters == {"opened": 1, "closed": 1, "errors": 0}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_on": "2026-07-10"}, "starts_on"),  # in the past
        ({"ends_on": "2026-07-14"}, "ends_on"),  # before it starts
        ({"starts_on": "15/07/2026"}, "starts_on"),  # not a date
        ({"list": "inconnue"}, "list"),
        ({"template": "heatwave"}, "template"),  # not a veille-sociale template
    ],
)
async def test_a_bad_plan_is_a_422_naming_the_field_and_writes_nothing(
    rig: PlanRig, change: dict[str, str], field: str
) -> None:
    before = await count_rows(rig.sessions, Campaign)
    answer = await rig.http.post(URL, json={**BODY, **change}, headers=rig.auth())
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert await count_rows(rig.sessions, Campaign) == before
    assert await count_rows(rig.sessions, CampaignPlan) == 0


@pytest.mark.asyncio
async def test_a_plan_over_another_of_the_same_list_is_refused(rig: PlanRig) -> None:
    assert (await rig.http.post(URL, json=BODY, headers=rig.auth())).status_code == 201
    overlapping = {**BODY, "starts_on": "2026-07-17", "ends_on": "2026-07-20", "name": "Autre"}
    answer = await rig.http.post(URL, json=overlapping, headers=rig.auth())
    assert answer.status_code == 422
    assert "starts_on" in answer.text
    assert "chevauchent" in answer.text
    later = {**BODY, "starts_on": "2026-07-18", "ends_on": "2026-07-20", "name": "Après"}
    assert (await rig.http.post(URL, json=later, headers=rig.auth())).status_code == 201
    assert await count_rows(rig.sessions, CampaignPlan) == 2


@pytest.mark.asyncio
async def test_agents_cannot_plan(rig: PlanRig) -> None:
    answer = await rig.http.post(URL, json=BODY, headers=rig.auth("agent1"))
    assert answer.status_code == 403
    assert await count_rows(rig.sessions, CampaignPlan) == 0


@pytest.mark.asyncio
async def test_the_page_plans_and_names_a_bad_field(rig: PlanRig) -> None:
    csrf = await log_in(rig.http, "superviseur")
    page = await rig.http.get(PAGE)
    assert page.status_code == 200
    assert "Planifier une campagne" in page.text
    bad = await rig.http.post(PAGE, data={**BODY, "ends_on": "2026-07-01", "csrf": csrf})
    assert bad.status_code == 422
    assert "ends_on" in bad.text
    assert "est avant la date de début" in bad.text
    done = await rig.http.post(PAGE, data={**BODY, "name": "Fêtes 2026", "csrf": csrf})
    assert done.status_code == 303
    shown = await rig.http.get(done.headers["location"])
    assert "Fêtes 2026" in shown.text
    assert "15/07/2026" in shown.text
