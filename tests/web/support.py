"""Shared by the web and browser tests (and reusable by the end-to-end test): a small
questionnaire, a fake clock, a fake engine with the real seat board, a seeded database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, AttemptState, CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.phones import PhoneKind
from dialer.core.roles import Role
from dialer.core.seats import SeatBoard
from dialer.desk.accounts import create_account
from dialer.desk.passwords import Passwords
from dialer.engine.ports import NoScreens, ScreenNotifier
from dialer.engine.wrap_ups import WrapUp
from dialer.questionnaire_files import QuestionnaireCatalog, load_questionnaires
from dialer.storage import (
    AttemptLedger,
    CampaignRepository,
    CycleRepository,
    PacingMode,
    PersonRecord,
    PersonRepository,
    PhoneRecord,
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.alerts import ContactRecord, TeamRepository
from tests.stored import person_by_external_id

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)
PASSWORD = "mot de passe très long 1"
SECRET_KEY = "k" * 48

QUESTIONNAIRE_YAML = """\
id: veille_test
version: 2
title: Veille de test
kind: heatwave
guidance: |
  Présentez-vous et demandez des nouvelles de la personne.
questions:
  - id: malaise
    text: Ressentez-vous un malaise en ce moment ?
    type: yes_no
    weights: {oui: 20, non: 0}
    need: medical_emergency
  - id: vit_seul
    text: Vivez-vous seul(e) ?
    type: yes_no
    weights: {oui: 2, non: 0}
    need: social
  - id: visites
    text: Qui passe vous voir ?
    type: single_choice
    need: social
    show_if: {question: vit_seul, equals: oui}
    choices:
      - {id: souvent, label: Souvent, weight: 0}
      - {id: jamais, label: Jamais, weight: 4}
  - id: eau
    text: Avez-vous de l'eau fraîche ?
    type: yes_no
    weights: {oui: 0, non: 3}
    need: home_help
  - id: chaleur
    text: De 0 à 10, avez-vous chaud chez vous ?
    type: scale_0_10
    weights: {multiplier: 0.5}
    need: housing
    required: false
scoring:
  risk_levels:
    - {name: faible, min_score: 0}
    - {name: élevé, min_score: 6}
  emergency_answers:
    - when: {question: malaise, equals: oui}
      message: Malaise en cours pendant l'appel.
      agent_instructions: |
        URGENCE : restez en ligne et faites appeler le 15.
  alerts:
    - when: {question: eau, equals: non}
      need: home_help
      priority: 2
      message: "Pas d'eau fraîche : livrer de l'eau."
    - when: {question: visites, equals: jamais}
      need: social
      priority: 3
      message: "Isolement : proposer des visites."
"""


def fast_passwords() -> Passwords:
    """Argon2id with test-sized costs (the real one costs ~50 ms a hash)."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def catalog_in(directory: Path) -> QuestionnaireCatalog:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "veille_test.yaml").write_text(QUESTIONNAIRE_YAML, encoding="utf-8")
    return load_questionnaires(directory)


class FakeDesk:
    """The engine's agent-facing methods on a real :class:`SeatBoard`, plus what the
    engine itself would do (reserve, join, end), for tests to drive. ``screens`` is told
    what the engine tells its notifier."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        #: the ledger writer's figures, as the engine reports them
        self.ledger: dict[str, object] = {
            "ledger_writable": True,
            "ledger_lag_s": 0.0,
            "ledger_waiting": 0,
            "ledger_writes": 0,
            "ledger_failed_tries": 0,
        }
        self.seats = SeatBoard()
        self.clock = clock
        self.screens: ScreenNotifier = NoScreens()
        self.wrapped: list[tuple[str, CycleResult | None]] = []
        self.hung_up: list[str] = []
        self._given_on_call: dict[str, CycleResult | None] = {}
        #: agent -> the attempt offered to them (see :meth:`offer`)
        self.offers: dict[str, str] = {}
        self.called: list[str] = []
        self.passed: list[tuple[str, str]] = []
        self.own_phones_called: list[tuple[str, str]] = []

    async def log_in(self, agent: str, endpoint: str) -> None:
        self.seats.log_in(agent, endpoint, f"leg-{agent}", self.clock())

    async def call_own_phone(self, agent: str, number: str) -> None:
        """The agent's own phone answers and they press 1 (the real engine's rules are
        tested with the engine itself)."""
        self.own_phones_called.append((agent, number))
        self.seats.log_in(agent, f"tel:{number}", f"leg-{agent}", self.clock())

    def go_ready(self, agent: str) -> None:
        self.seats.go_ready(agent, self.clock())

    def pause(self, agent: str, reason: str) -> None:
        self.seats.pause(agent, reason, self.clock())

    async def give_disposition(
        self, agent: str, attempt_id: str, result: CycleResult | None
    ) -> WrapUp:
        seat = self.seats.seats_by_agent().get(agent)
        if seat is None or seat.attempt_id != attempt_id:
            return WrapUp.NONE
        if seat.state is AgentState.WRAP_UP:
            await self.finish_wrap_up(agent, result)
            return WrapUp.DONE
        if seat.state is AgentState.ON_CALL:
            self._given_on_call[attempt_id] = result
            return WrapUp.AFTER_CALL
        return WrapUp.NONE

    async def finish_wrap_up(self, agent: str, result: CycleResult | None = None) -> None:
        attempt_id = self.seats.get(agent).attempt_id
        self.seats.wrap_up_done(agent, self.clock())
        self._given_on_call.pop(attempt_id or "", None)
        self.wrapped.append((agent, result))

    async def hang_up_call(self, agent: str) -> None:
        self.hung_up.append(agent)

    def offer_of(self, agent: str) -> str | None:
        return self.offers.get(agent)

    async def call_offer(self, agent: str) -> str:
        attempt_id = self.offers.pop(agent)
        self.called.append(attempt_id)
        return attempt_id

    async def pass_offer(self, agent: str, reason: str) -> None:
        attempt_id = self.offers.pop(agent)
        self.seats.release(agent, self.clock())
        self.passed.append((attempt_id, reason))
        await self.screens.withdrawn(agent, attempt_id)

    def statistics(self) -> dict[str, object]:
        return {"agents": {s.value: n for s, n in self.seats.counts().items()}, **self.ledger}

    # ---- the engine's side ----------------------------------------------------------------
    def reserve(self, agent: str, attempt_id: str) -> None:
        """Reserve ``agent`` (the only ready one, in tests) for ``attempt_id``."""
        ready = [s.agent for s in self.seats.seats() if s.state is AgentState.READY]
        if ready != [agent]:
            raise AssertionError(f"{agent} should be the one ready agent, got {ready}")
        self.seats.reserve_agent(agent, attempt_id, self.clock())

    async def offer(self, agent: str, attempt_id: str) -> None:
        """Offer ``attempt_id`` (planned, with ``agent``) to the ready ``agent``."""
        self.seats.reserve_agent(agent, attempt_id, self.clock())
        self.offers[agent] = attempt_id
        await self.screens.offered(agent, attempt_id, None)

    def join(self, agent: str) -> None:
        self.seats.joined(agent, self.clock())

    def end(self, agent: str) -> None:
        self.seats.call_ended(agent, self.clock())

    async def end_call(self, agent: str) -> None:
        """The person hangs up: the seat goes to wrap-up and the screen is told; a
        disposition given during the call ends the wrap-up (as the engine does)."""
        attempt_id = self.seats.get(agent).attempt_id
        assert attempt_id is not None
        self.end(agent)
        await self.screens.ended(agent, attempt_id)
        if attempt_id in self._given_on_call:
            result = self._given_on_call.pop(attempt_id)
            self.seats.wrap_up_done(agent, self.clock())
            self.wrapped.append((agent, result))
            await self.screens.wrapped_up(agent, attempt_id)


@dataclass
class World:
    campaign_id: int
    cycle_id: int
    jeanne_id: int
    bob_id: int
    teams: dict[str, int]


AGENTS = {"agent1": "agent-1001", "agent2": "agent-1002"}


async def open_database(path: Path) -> tuple[AsyncEngine, SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate_engine(engine)
    return engine, create_session_factory(engine)


async def seed(
    sessions: SessionFactory,
    *,
    now: datetime = T0,
    passwords: Passwords | None = None,
    webhook_url: str | None = None,
    email: str | None = None,
) -> World:
    """Two people, a campaign on ``veille_test`` v2 with an open cycle, three teams and an
    account per role (password :data:`PASSWORD`)."""
    people = PersonRepository(sessions)
    await people.write_batch(
        [
            PersonRecord(
                external_id="J1",
                last_name="Dupont",
                first_name="Jeanne",
                birth_date=date(1940, 9, 2),
                address="12 rue des Lilas",
                postcode="75019",
                city="Paris",
                district="Nord",
                medical_flag=True,
                register_flags={"Oxygène": "oui"},
                contact_name="Paul Dupont (fils)",
                contact_phone="+33612345678",
                phones=[PhoneRecord("+33145678910", PhoneKind.LANDLINE)],
            ),
            PersonRecord(
                external_id="B2",
                last_name="Martin",
                first_name="Robert",
                birth_date=date(1938, 1, 5),
                district="Sud",
                phones=[PhoneRecord("+33155555555", PhoneKind.LANDLINE)],
            ),
        ],
        [],
        now=now,
    )
    jeanne = await person_by_external_id(sessions, "J1")
    bob = await person_by_external_id(sessions, "B2")
    assert jeanne is not None
    assert bob is not None
    campaign = await CampaignRepository(sessions).create(
        name="Canicule 2026",
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="veille_test",
        questionnaire_version="2",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows={},
        retry_policy={},
        now=now,
    )
    cycle = await CycleRepository(sessions).open(
        campaign.id, started_at=now - timedelta(hours=1), deadline=now + timedelta(days=1)
    )
    teams = TeamRepository(sessions)
    nord = await teams.add(
        name="Équipe Nord",
        districts=["Nord"],
        needs=["social", "home_help"],
        email=email,
        webhook_url=webhook_url,
        webhook_secret="secret-de-test",
        contacts=[
            ContactRecord("Cheffe Nord", "cheffe.nord@ville.test", "+33100000001"),
            ContactRecord("Astreinte", "astreinte@ville.test"),
        ],
        now=now,
    )
    secours = await teams.add(name="Urgences", needs=["medical_emergency"], now=now)
    defaut = await teams.add(name="Veille générale", is_default=True, now=now)
    passwords = passwords or fast_passwords()
    for agent, endpoint in AGENTS.items():
        await create_account(
            sessions, agent, PASSWORD, Role.AGENT, sip_endpoint=endpoint, passwords=passwords
        )
    await create_account(
        sessions, "membre.nord", PASSWORD, Role.TEAM_MEMBER, "Équipe Nord", passwords=passwords
    )
    await create_account(
        sessions, "membre.urgences", PASSWORD, Role.TEAM_MEMBER, "Urgences", passwords=passwords
    )
    await create_account(sessions, "superviseur", PASSWORD, Role.SUPERVISOR, passwords=passwords)
    await create_account(sessions, "admin", PASSWORD, Role.ADMINISTRATOR, passwords=passwords)
    return World(
        campaign.id,
        cycle.id,
        jeanne.id,
        bob.id,
        {"nord": nord.team.id, "urgences": secours.team.id, "defaut": defaut.team.id},
    )


async def place_call(
    sessions: SessionFactory,
    world: World,
    *,
    person_id: int,
    now: datetime,
    number: str,
    kind: AttemptKind = AttemptKind.AUTOMATIC,
) -> str:
    """An attempt in the ledger, answered and bridged (the engine's part of a call)."""
    ledger = AttemptLedger(sessions)
    attempt = await ledger.record_planned(
        cycle_id=world.cycle_id,
        person_id=person_id,
        number=number,
        kind=kind,
        planned_for=now,
    )
    await ledger.mark_dialing(attempt.id, at=now, node="node-1")
    await ledger.advance(attempt.id, AttemptState.ANSWERED, at=now)
    await ledger.advance(attempt.id, AttemptState.BRIDGED, at=now)
    return attempt.id
