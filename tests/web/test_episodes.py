"""Alert episodes through the real entry points: the REST API and the supervisor's pages
start and end them, and the service's own cycle keeper (its loop, on the test's clock)
closes each cycle at its deadline and opens the next with the register of that instant,
once, even after a controller was down across the boundary and with two racing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from dialer.campaigns.control import CampaignControl
from dialer.campaigns.episodes import EpisodeControl
from dialer.core.attempts import CycleResult
from dialer.core.campaigns import CampaignState
from dialer.core.cycles import NeverReachedReason
from dialer.core.phones import PhoneKind
from dialer.engine.engine import DialingEngine
from dialer.errors import ConflictError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.settings import CycleSettings
from dialer.storage import CampaignRepository, CycleRepository, PersonRepository, SessionFactory
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.database import transaction
from dialer.storage.models import CycleResultRow, Person
from dialer.storage.people import PersonRecord, PhoneRecord
from dialer.storage.schedule import CycleMember
from dialer.telephony.port import CallEnded
from dialer.testing import Clock, FakeNode
from dialer.web.app import create_app
from tests.web.conftest import log_in
from tests.web.steering_support import build_engine, ready_agent
from tests.web.support import SECRET_KEY, World, fast_passwords

#: minute-long settings through the same code as 48 h
HOUR_CYCLES = CycleSettings(
    length_min=60,
    busy_delay_min=1,
    no_answer_delay_min=2,
    machine_delay_min=2,
    answered_delay_min=2,
    failure_delay_min=2,
    min_gap_min=0.5,
    time_of_day_spread_min=0,
    all_day_windows=True,
)


@dataclass
class EpisodeRig:
    http: httpx.AsyncClient
    engine: DialingEngine
    node: FakeNode
    control: CampaignControl
    episodes: EpisodeControl
    sessions: SessionFactory
    clock: Clock
    world: World
    tokens: dict[str, str]

    def auth(self, who: str = "superviseur") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest_asyncio.fixture
async def rig(
    sessions: SessionFactory, world: World, catalog: QuestionnaireCatalog, clock: Clock
) -> AsyncIterator[EpisodeRig]:
    engine, node, control = await build_engine(sessions, clock)
    control.cycle_settings = HOUR_CYCLES
    episodes = EpisodeControl(control, check_s=5, sleep=clock.sleep)
    app = create_app(
        sessions=sessions,
        engine=engine,
        questionnaires=catalog,
        secret_key=SECRET_KEY,
        clock=clock,
        secure_cookies=False,
        passwords=fast_passwords(),
        control=control,
        episodes=episodes,
    )
    tokens = {}
    for who in ("superviseur", "agent1"):
        _, tokens[who] = await ApiTokenRepository(sessions).create(
            name=f"jeton-{who}",
            username=who,
            created_by="test",
            now=clock(),
            lifetime=timedelta(days=90),
        )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield EpisodeRig(http, engine, node, control, episodes, sessions, clock, world, tokens)
    await episodes.stop_keeping()
    await engine.flush()


async def members_of(sessions: SessionFactory, cycle_id: int) -> set[str]:
    async with transaction(sessions) as session:
        return set(
            await session.scalars(
                select(Person.external_id)
                .join(CycleMember, CycleMember.person_id == Person.id)
                .where(CycleMember.cycle_id == cycle_id)
            )
        )


async def never_reached(sessions: SessionFactory, cycle_id: int) -> dict[str, NeverReachedReason]:
    async with transaction(sessions) as session:
        rows = await session.execute(
            select(Person.external_id, CycleResultRow.never_reached_reason)
            .join(CycleResultRow, CycleResultRow.person_id == Person.id)
            .where(CycleResultRow.cycle_id == cycle_id)
            .where(CycleResultRow.result == CycleResult.NEVER_REACHED)
        )
        return {str(key): NeverReachedReason(str(reason)) for key, reason in rows.all()}


@pytest.mark.asyncio
async def test_the_service_runs_the_cycles_of_an_episode_by_itself(rig: EpisodeRig) -> None:
    started = await rig.http.post(
        "/api/v1/episodes",
        json={"kind": "heatwave", "level": 3, "districts": []},
        headers=rig.auth(),
    )
    assert started.status_code == 201, started.text
    body = started.json()
    episode, campaign = body["episode"], body["campaign"]
    assert (episode["kind"], episode["level"], episode["districts"]) == ("heatwave", 3, [])
    assert (episode["started_by"], episode["active"]) == ("api:jeton-superviseur", True)
    campaign_id = campaign["id"]
    assert episode["campaign_id"] == campaign_id
    assert campaign["cycle"]["number"] == 1
    cycles = CycleRepository(rig.sessions)
    [first] = await cycles.list_for(campaign_id)
    register_at_start = await members_of(rig.sessions, first.id)
    assert first.deadline - first.started_at == timedelta(minutes=60)
    # the service's loop, as ``dialer serve`` starts it
    await rig.episodes.start_keeping()
    await rig.clock.wait_for_sleepers()
    # during the first cycle: one person is added to the register, one removed
    people = PersonRepository(rig.sessions)
    await people.write_batch(
        [PersonRecord("NEW-1", "Nouvelle", phones=[PhoneRecord("+33611112222", PhoneKind.MOBILE)])],
        [],
        now=rig.clock(),
    )
    removed = sorted(register_at_start)[0]
    assert await people.remove([removed], now=rig.clock()) == 1
    # nobody could be called (no agent): at the deadline they are all never reached
    rig.clock.advance(minutes=59)
    await rig.clock.wait_for_sleepers()
    assert len(await cycles.list_for(campaign_id)) == 1
    rig.clock.advance(minutes=1, seconds=5)
    await rig.clock.wait_for_sleepers()
    first_closed, second = await cycles.list_for(campaign_id)
    assert first_closed.closed_at == first.started_at + timedelta(minutes=60, seconds=5)
    assert await never_reached(rig.sessions, first.id) == dict.fromkeys(
        register_at_start, NeverReachedReason.NEVER_ATTEMPTED
    )
    assert second.number == 2
    assert second.started_at == first.deadline  # on time: the cycle length after the start
    assert await members_of(rig.sessions, second.id) == (register_at_start - {removed}) | {"NEW-1"}
    assert rig.control.current is not None
    assert rig.control.current.cycle_id == second.id  # the engine dials the new cycle
    [opened] = [e for e in await rig.control.audit.search() if e.action == "cycle.open"]
    assert (opened.actor, opened.details["cycle"]) == ("service", 2)

    # the controller is down across two boundaries, then two controllers start at once
    await rig.episodes.stop_keeping()
    rig.clock.advance(minutes=150)  # second cycle's deadline and the third slot both passed
    restarted = []
    for _ in range(2):
        _engine, _node, control = await build_engine(rig.sessions, rig.clock)
        restarted.append(EpisodeControl(control, sleep=rig.clock.sleep))
    await asyncio.gather(*(keeper.keep_cycles() for keeper in restarted))
    numbers = [c.number for c in await cycles.list_for(campaign_id)]
    assert numbers == [1, 2, 4]  # the slot of now, opened once; the missed slot skipped
    fourth = (await cycles.list_for(campaign_id))[-1]
    assert fourth.started_at == first.started_at + timedelta(minutes=180)
    assert await never_reached(rig.sessions, second.id) == dict.fromkeys(
        await members_of(rig.sessions, second.id), NeverReachedReason.NEVER_ATTEMPTED
    )
    await asyncio.gather(*(keeper.keep_cycles() for keeper in restarted))
    assert [c.number for c in await cycles.list_for(campaign_id)] == [1, 2, 4]

    # ending the episode: no new attempt, the cycle closed now, no cycle after
    ended = await rig.http.post(f"/api/v1/episodes/{episode['id']}/end", headers=rig.auth())
    assert ended.status_code == 200, ended.text
    assert (ended.json()["active"], ended.json()["ended_by"]) == (False, "api:jeton-superviseur")
    stored = await CampaignRepository(rig.sessions).get(campaign_id)
    assert stored.state is CampaignState.FINISHED
    assert rig.control.attached_id is None
    last = (await cycles.list_for(campaign_id))[-1]
    assert last.closed_at == rig.clock()
    assert len(await never_reached(rig.sessions, last.id)) == len(
        await members_of(rig.sessions, last.id)
    )
    rig.clock.advance(minutes=300)
    await rig.episodes.keep_cycles()
    assert [c.number for c in await cycles.list_for(campaign_id)] == [1, 2, 4]
    again = await rig.http.post(f"/api/v1/episodes/{episode['id']}/end", headers=rig.auth())
    assert again.status_code == 409
    listed = await rig.http.get("/api/v1/episodes", headers=rig.auth())
    assert [e["id"] for e in listed.json()["items"]] == [episode["id"]]


@pytest.mark.asyncio
async def test_a_cycle_whose_deadline_is_past_closes_with_everyone_waiting_never_reached(
    rig: EpisodeRig,
) -> None:
    """The issue's scratch database: 3 on the register, 0 called, the deadline moved into
    the past; the service closes the cycle and lists them all for the field teams."""
    start = await rig.http.post(
        "/api/v1/campaigns/start-from-alert", json={"template": "heatwave"}, headers=rig.auth()
    )
    assert start.status_code == 201, start.text
    assert start.json()["episode"]["level"] == 3  # « Démarrer depuis l'alerte »: an episode
    campaign_id = start.json()["campaign"]["id"]
    cycles = CycleRepository(rig.sessions)
    [cycle] = await cycles.list_for(campaign_id)
    async with transaction(rig.sessions) as session:
        stored = await session.get(type(cycle), cycle.id)
        assert stored is not None
        stored.started_at = rig.clock() - timedelta(minutes=120)
        stored.deadline = rig.clock() - timedelta(minutes=1)
    changes = await rig.episodes.keep_cycles()
    assert [(c.closed, c.never_reached, c.opened) for c in changes] == [(1, 2, 2)]
    assert set((await never_reached(rig.sessions, cycle.id)).values()) == {
        NeverReachedReason.NEVER_ATTEMPTED
    }


@pytest.mark.asyncio
async def test_bad_and_forbidden_episode_requests_are_refused_with_the_field_named(
    rig: EpisodeRig,
) -> None:
    cases = [
        ({"kind": "tsunami", "level": 3}, 422, "kind"),
        ({"kind": "heatwave", "level": 7}, 422, "level"),
        ({"kind": "heatwave", "level": "trois"}, 422, "level"),
        ({"kind": "heatwave", "level": 3, "districts": ["x"] * 101}, 422, "districts"),
        ({"kind": "heatwave", "level": 3, "districts": ["a" * 150]}, 422, "districts"),
        ({"kind": "heatwave", "level": 3, "districts": ["Nord", "Ouest"]}, 422, "ouest"),
        ({"kind": "heatwave", "level": 3, "template": "tsunami"}, 404, "tsunami"),
        ({"kind": "other", "level": 3}, 422, "template"),
        ({"kind": "heatwave", "level": 3, "admin": True}, 422, "admin"),
    ]
    for payload, status, named in cases:
        response = await rig.http.post("/api/v1/episodes", json=payload, headers=rig.auth())
        assert (response.status_code, named in response.json()["erreur"].lower()) == (
            status,
            True,
        ), (
            payload,
            response.text,
        )
    assert (
        await rig.http.post("/api/v1/episodes", json={"kind": "heatwave", "level": 3})
    ).status_code == 401
    agent = await rig.http.post(
        "/api/v1/episodes", json={"kind": "heatwave", "level": 3}, headers=rig.auth("agent1")
    )
    assert agent.status_code == 403
    assert (await rig.http.post("/api/v1/episodes/999/end", headers=rig.auth())).status_code == 404
    assert await rig.episodes.all() == []  # nothing was created by the refused requests
    flood = await rig.http.post(
        "/api/v1/episodes",
        json={"kind": "flood", "level": 2, "template": "heatwave"},
        headers=rig.auth(),
    )
    assert flood.status_code == 201, flood.text
    second = await rig.http.post(
        "/api/v1/episodes",
        json={"kind": "flood", "level": 3, "template": "heatwave"},
        headers=rig.auth(),
    )
    assert (second.status_code, "en cours" in second.json()["erreur"]) == (409, True)


@pytest.mark.asyncio
async def test_the_supervisor_starts_and_ends_an_episode_from_the_campaigns_page(
    rig: EpisodeRig,
) -> None:
    csrf = await log_in(rig.http, "superviseur")
    page = await rig.http.get("/supervision/campagnes")
    assert "Aucun épisode d'alerte en cours" in page.text
    refused = await rig.http.post(
        "/supervision/episodes",
        data={"csrf": csrf, "type": "other", "niveau": "3", "quartiers": ""},
    )
    assert refused.status_code == 409
    assert "aucun modèle de campagne" in refused.text
    bad_level = await rig.http.post(
        "/supervision/episodes", data={"csrf": csrf, "type": "heatwave", "niveau": "-1"}
    )
    assert (bad_level.status_code, "niveau" in bad_level.text) == (409, True)
    no_csrf = await rig.http.post("/supervision/episodes", data={"type": "heatwave", "niveau": "3"})
    assert no_csrf.status_code == 403
    started = await rig.http.post(
        "/supervision/episodes",
        data={
            "csrf": csrf,
            "type": "cold_spell",
            "niveau": "2",
            "quartiers": "Nord, Sud",
            "modele": "",
        },
    )
    assert started.status_code == 303, started.text
    page = await rig.http.get(started.headers["location"])
    assert "Épisode « Grand froid » niveau 2 déclenché" in page.text
    assert "En cours : <strong>Grand froid</strong>, niveau 2, quartiers Nord, Sud" in page.text
    busy = await rig.http.post(  # a second cold spell over Nord: the same kind and area
        "/supervision/episodes",
        data={"csrf": csrf, "type": "cold_spell", "niveau": "3", "quartiers": "Nord"},
    )
    assert (busy.status_code, "est en cours sur la même zone" in busy.text) == (409, True)
    [episode] = await rig.episodes.all()
    ended = await rig.http.post(f"/supervision/episodes/{episode.id}/terminer", data={"csrf": csrf})
    assert ended.status_code == 303, ended.text
    page = await rig.http.get(ended.headers["location"])
    assert "Épisode « Grand froid » terminé" in page.text
    assert "Aucun épisode d'alerte en cours" in page.text
    [entry] = [e for e in await rig.control.audit.search() if e.action == "episode.end"]
    assert (entry.actor, entry.target) == ("superviseur", f"episode:{episode.id}")


@pytest.mark.asyncio
async def test_a_call_in_progress_at_the_deadline_ends_in_its_own_cycle(rig: EpisodeRig) -> None:
    await ready_agent(rig.engine)
    started = await rig.http.post(
        "/api/v1/episodes", json={"kind": "heatwave", "level": 3}, headers=rig.auth()
    )
    assert started.status_code == 201, started.text
    [call] = rig.node.placed  # one agent ready: one call, still ringing at the deadline
    campaign_id = started.json()["campaign"]["id"]
    rig.clock.advance(minutes=60)
    [change] = await rig.episodes.keep_cycles()
    assert (change.closed, change.never_reached, change.opened) == (1, 1, 2)
    first, second = await CycleRepository(rig.sessions).list_for(campaign_id)
    assert len(await never_reached(rig.sessions, first.id)) == 1  # the one waiting
    # the call ends busy after the closing: its person ends cycle 1, no new attempt there
    await rig.engine.handle(CallEnded(call.attempt_id, 17, 486, rig.clock()), rig.node)
    async with transaction(rig.sessions) as session:
        rows = list(
            await session.scalars(select(CycleResultRow).where(CycleResultRow.cycle_id == first.id))
        )
        members = list(
            await session.scalars(select(CycleMember).where(CycleMember.cycle_id == first.id))
        )
    assert len(rows) == 2
    late = next(r for r in rows if r.attempt_count == 1)
    assert (late.result, late.never_reached_reason) == (
        CycleResult.NEVER_REACHED,
        NeverReachedReason.DEADLINE_REACHED,
    )
    assert {m.status.value for m in members} == {"done"}
    assert len(await members_of(rig.sessions, second.id)) == 2  # both again in cycle 2


@pytest.mark.asyncio
async def test_an_episode_over_some_districts_calls_their_people_only(rig: EpisodeRig) -> None:
    started = await rig.http.post(
        "/api/v1/episodes",
        json={"kind": "heatwave", "level": 3, "districts": ["Sud"]},
        headers=rig.auth(),
    )
    assert started.status_code == 201, started.text
    campaign_id = started.json()["campaign"]["id"]
    assert started.json()["people"] == 1
    cycles = CycleRepository(rig.sessions)
    [first] = await cycles.list_for(campaign_id)
    assert await members_of(rig.sessions, first.id) == {"B2"}
    await PersonRepository(rig.sessions).write_batch(
        [
            PersonRecord(
                "S2",
                "Sudiste",
                district="Sud",
                phones=[PhoneRecord("+33611113333", PhoneKind.MOBILE)],
            ),
            PersonRecord(
                "N2",
                "Nordiste",
                district="Nord",
                phones=[PhoneRecord("+33611114444", PhoneKind.MOBILE)],
            ),
        ],
        [],
        now=rig.clock(),
    )
    rig.clock.advance(minutes=60)
    await rig.episodes.keep_cycles()
    _, second = await cycles.list_for(campaign_id)
    assert await members_of(rig.sessions, second.id) == {"B2", "S2"}


@pytest.mark.asyncio
async def test_a_cycle_length_changed_while_a_cycle_runs_applies_from_the_next_cycle(
    rig: EpisodeRig,
) -> None:
    started = await rig.http.post(
        "/api/v1/episodes", json={"kind": "heatwave", "level": 3}, headers=rig.auth()
    )
    assert started.status_code == 201, started.text
    campaign_id = started.json()["campaign"]["id"]
    await rig.episodes.start_keeping()
    await rig.clock.wait_for_sleepers()
    rig.clock.advance(minutes=20)
    await rig.clock.wait_for_sleepers()
    changed = await rig.http.patch(
        f"/api/v1/campaigns/{campaign_id}/settings",
        json={"version": 1, "cycle_length_h": 2, "max_attempts": 2},
        headers=rig.auth(),
    )
    assert changed.status_code == 200, changed.text
    cycles = CycleRepository(rig.sessions)
    [first] = await cycles.list_for(campaign_id)
    assert first.deadline - first.started_at == timedelta(minutes=60)  # the running one keeps
    rig.clock.advance(minutes=40, seconds=5)
    await rig.clock.wait_for_sleepers()
    _, second = await cycles.list_for(campaign_id)
    assert second.started_at == first.deadline
    assert second.deadline - second.started_at == timedelta(hours=2)
    assert rig.control.current is not None
    assert rig.control.current.cycle_id == second.id
    assert rig.control.current.queue.policy.max_attempts == 2


@pytest.mark.asyncio
async def test_a_city_wide_heatwave_and_a_district_flood_run_at_once_each_with_its_cycles(
    rig: EpisodeRig,
) -> None:
    heat = await rig.http.post(
        "/api/v1/episodes", json={"kind": "heatwave", "level": 3}, headers=rig.auth()
    )
    assert heat.status_code == 201, heat.text
    flood = await rig.http.post(
        "/api/v1/episodes",
        json={"kind": "flood", "level": 2, "districts": ["Sud"]},
        headers=rig.auth(),
    )
    assert flood.status_code == 201, flood.text
    heat_campaign, flood_campaign = heat.json()["campaign"]["id"], flood.json()["campaign"]["id"]
    assert heat_campaign != flood_campaign
    # never two of one kind over a shared area: a second flood in Sud, a city-wide heatwave
    for body in ({"kind": "flood", "level": 3, "districts": ["Sud", "Nord"]},
                 {"kind": "heatwave", "level": 2}):  # fmt: skip
        refused = await rig.http.post("/api/v1/episodes", json=body, headers=rig.auth())
        assert refused.status_code == 409, refused.text
        assert "même zone" in refused.json()["erreur"]
    # both campaigns dial at once, each its own cycle
    assert sorted(rig.engine.campaign_assignments.running()) == sorted(
        [heat_campaign, flood_campaign]
    )
    cycles = CycleRepository(rig.sessions)
    [heat_first] = await cycles.list_for(heat_campaign)
    [flood_first] = await cycles.list_for(flood_campaign)
    assert await members_of(rig.sessions, flood_first.id) == {"B2"}
    assert "B2" in await members_of(rig.sessions, heat_first.id)

    # the keeper turns both episodes' cycles at their deadlines
    rig.clock.advance(minutes=60, seconds=5)
    changes = await rig.episodes.keep_cycles()
    assert sorted(c.campaign_id for c in changes) == sorted([heat_campaign, flood_campaign])
    assert [c.number for c in await cycles.list_for(heat_campaign)] == [1, 2]
    assert [c.number for c in await cycles.list_for(flood_campaign)] == [1, 2]
    _, flood_second = await cycles.list_for(flood_campaign)
    assert await members_of(rig.sessions, flood_second.id) == {"B2"}  # still Sud only

    await log_in(rig.http, "superviseur")
    page = await rig.http.get("/supervision/campagnes")
    assert "En cours : <strong>Canicule</strong>" in page.text
    assert "En cours : <strong>Inondation</strong>, niveau 2, quartiers Sud" in page.text
    for number in (heat.json()["episode"]["id"], flood.json()["episode"]["id"]):
        assert f"Terminer l'épisode n° {number}" in page.text
    assert "Déclencher l'épisode" in page.text  # another may still start

    # ending without naming one is ambiguous; the flood ends alone, the heatwave goes on
    ambiguous = await rig.episodes.running()
    assert len(ambiguous) == 2
    with pytest.raises(ConflictError, match="plusieurs épisodes"):
        await rig.episodes.end(actor="superviseur")
    flood_id = flood.json()["episode"]["id"]
    ended = await rig.http.post(f"/api/v1/episodes/{flood_id}/end", headers=rig.auth())
    assert ended.status_code == 200, ended.text
    assert rig.engine.campaign_assignments.running() == [heat_campaign]
    rig.clock.advance(minutes=60)
    await rig.episodes.keep_cycles()
    assert [c.number for c in await cycles.list_for(heat_campaign)] == [1, 2, 3]
    assert [c.number for c in await cycles.list_for(flood_campaign)] == [1, 2]
    await rig.episodes.end(actor="superviseur")  # the only one left: no need to name it
    assert await rig.episodes.running() == []


@pytest.mark.asyncio
async def test_two_heatwaves_over_different_districts_start_in_the_same_second(
    rig: EpisodeRig,
) -> None:
    """Same kind, no shared district: two episodes, two campaigns named after their area
    (they were named after the template and the second only, and the second collided)."""
    started = []
    for district in ("Nord", "Sud"):
        response = await rig.http.post(
            "/api/v1/episodes",
            json={"kind": "heatwave", "level": 3, "districts": [district]},
            headers=rig.auth(),
        )
        assert response.status_code == 201, response.text
        started.append(response.json()["campaign"])
    names = [campaign["name"] for campaign in started]
    assert names[0].startswith("Canicule (Nord) ")
    assert names[1].startswith("Canicule (Sud) ")
