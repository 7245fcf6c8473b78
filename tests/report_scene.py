"""A realistic ledger for the report tests: one campaign, two cycles, a register of people
with every kind of fate (reached at once, after retries, never reached, wrong number,
refusal, machine, abandon, still in flight, planned only, not yet called), call sheets,
results, alerts (some acknowledged), plus two planted billing anomalies: a second complete
questionnaire for one person in one cycle, and a complete sheet on a call that was never
bridged to an agent.

Written straight into the tables (the ORM models), not through the services the reports
read back, so the tests can count the rows independently."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dialer.core.attempts import AttemptKind, AttemptState, CycleResult, Disposition
from dialer.core.campaigns import CampaignKind
from dialer.core.outcomes import CallOutcome
from dialer.core.phones import PhoneKind
from dialer.storage import (
    Attempt,
    CampaignRepository,
    CycleRepository,
    CycleResultRow,
    PacingMode,
    Person,
    PhoneNumber,
    SessionFactory,
)
from dialer.storage.alert_rows import Alert, AlertState
from dialer.storage.call_sheet_rows import CallSheet
from dialer.storage.database import transaction
from dialer.storage.schedule import CycleMember, MemberStatus
from dialer.storage.team_rows import Team

CYCLE1_START = datetime(2026, 7, 13, 7, 0, tzinfo=UTC)  # 09:00 in Paris
AGENTS = ("agent1", "agent2", "agent3")
PICKED_UP = (CallOutcome.ANSWERED, CallOutcome.MACHINE)
MISSES = (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.UNREACHABLE)
FATES = (
    "reached",
    "reached_after_retries",
    "reached_after_retries",
    "never_reached",
    "never_reached_deadline",
    "wrong_number",
    "refused",
    "machine_then_reached",
    "abandoned_then_reached",
    "in_flight",
    "planned_only",
    "not_called",
)


@dataclass
class Scene:
    campaign_id: int
    cycle_ids: list[int]
    people: list[int]
    teams: dict[str, int]
    #: the planted anomalies: (cycle id, person id) completed twice, and the sheet id of
    #: the complete questionnaire on an unbridged call
    duplicate: tuple[int, int] = (0, 0)
    unbridged_sheet: int = 0
    fates: dict[tuple[int, int], str] = field(default_factory=dict)


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[object] = []
        self.sheets: list[CallSheet] = []
        self.alerts: list[tuple[CallSheet, dict[str, object]]] = []

    def attempt(
        self,
        cycle_id: int,
        person_id: int,
        at: datetime,
        outcome: CallOutcome | None,
        *,
        agent: str | None = None,
        placed: bool = True,
        disposition: str | None = None,
    ) -> Attempt:
        ring = timedelta(seconds=self.rng.randint(5, 25))
        talk = timedelta(seconds=self.rng.randint(60, 780))
        wrap = timedelta(seconds=self.rng.randint(10, 150))
        bridged = agent is not None
        state = AttemptState.PLANNED
        if placed:
            state = AttemptState.ENDED if outcome is not None else AttemptState.RINGING
        attempt = Attempt(
            id=str(uuid.UUID(int=self.rng.getrandbits(128))),
            cycle_id=cycle_id,
            person_id=person_id,
            number="+33145678910",
            kind=AttemptKind.AUTOMATIC,
            state=state,
            outcome=outcome,
            planned_for=at,
            placed_at=at if placed else None,
            answered_at=at + ring
            if outcome in (CallOutcome.ANSWERED, CallOutcome.MACHINE)
            else None,
            bridged_at=at + ring if bridged else None,
            ended_at=(at + ring + (talk if bridged else timedelta(seconds=2)))
            if outcome is not None
            else None,
            agent=agent,
            node="node-1" if placed else None,
            wrap_up_done_at=at + ring + talk + wrap if bridged else None,
            disposition=disposition,
        )
        self.rows.append(attempt)
        return attempt

    def sheet(
        self, attempt: Attempt, disposition: Disposition, complete: bool, *, submitted: bool = True
    ) -> CallSheet:
        assert attempt.placed_at is not None
        done = attempt.wrap_up_done_at or attempt.placed_at + timedelta(minutes=5)
        sheet = CallSheet(
            attempt_id=attempt.id,
            person_id=attempt.person_id,
            cycle_id=attempt.cycle_id,
            agent=attempt.agent or "agent1",
            questionnaire_id="veille_test",
            questionnaire_version=2,
            note="",
            disposition=disposition if submitted else None,
            score=3.0,
            risk_level="faible",
            complete=complete,
            opened_at=attempt.placed_at,
            updated_at=done,
            submitted_at=done if submitted else None,
        )
        self.sheets.append(sheet)
        return sheet


def _slot(rng: random.Random, start: datetime, day: int) -> datetime:
    """A time between 09:00 and 18:59 Paris (07:00–16:59 UTC) on day ``day``."""
    return start + timedelta(days=day, hours=rng.randint(0, 9), minutes=rng.randint(0, 59))


async def build_scene(sessions: SessionFactory, *, people: int = 48, seed: int = 6) -> Scene:
    rng = random.Random(seed)
    campaign = await CampaignRepository(sessions).create(
        name="Canicule rapport",
        kind=CampaignKind.HEATWAVE,
        questionnaire_id="veille_test",
        questionnaire_version="2",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PROGRESSIVE,
        calling_windows={},
        retry_policy={},
        now=CYCLE1_START - timedelta(hours=1),
    )
    cycles = CycleRepository(sessions)
    first = await cycles.open(
        campaign.id, started_at=CYCLE1_START, deadline=CYCLE1_START + timedelta(hours=48)
    )
    await cycles.close(first.id, at=CYCLE1_START + timedelta(hours=48))
    start2 = CYCLE1_START + timedelta(hours=48)
    second = await cycles.open(
        campaign.id, started_at=start2, deadline=start2 + timedelta(hours=48)
    )
    async with transaction(sessions) as session:
        teams = [
            Team(name=name, districts=[], needs=[], is_default=default, created_at=CYCLE1_START)
            for name, default in (("Équipe Est", False), ("Veille du rapport", True))
        ]
        session.add_all(teams)
        persons = []
        for index in range(people):
            person = Person(
                external_id=f"P{index:03d}",
                last_name=rng.choice(("Dupont", "Martin", "Lefèvre", "Bernard", "Petit")),
                first_name=rng.choice(("Jeanne", "Hélène", "Robert", "André", "Geneviève")),
                address=f"{index + 1} rue des Lilas",
                postcode="75019",
                city="Paris",
                district=rng.choice(("Nord", "Sud", "Est")),
                disabled=False,
                medical_flag=False,
                register_flags={},
                fingerprint="",
                created_at=CYCLE1_START,
                updated_at=CYCLE1_START,
            )
            person.phones = [
                PhoneNumber(position=0, e164="+33145678910", kind=PhoneKind.LANDLINE),
                PhoneNumber(position=1, e164=f"+336{index:08d}", kind=PhoneKind.MOBILE),
            ]
            persons.append(person)
        session.add_all(persons)
    person_ids = [p.id for p in persons]
    team_ids = {"nord": teams[0].id, "defaut": teams[1].id}
    scene = Scene(campaign.id, [first.id, second.id], person_ids, team_ids)
    writer = _Writer(rng)
    for cycle_id, start in ((first.id, CYCLE1_START), (second.id, start2)):
        for index, person_id in enumerate(person_ids):
            # every fate at least once (registers of 12 people or more), then at random
            fate = FATES[index] if index < len(FATES) else rng.choice(FATES)
            scene.fates[(cycle_id, person_id)] = fate
            writer.rows.append(
                CycleMember(
                    cycle_id=cycle_id,
                    person_id=person_id,
                    status=MemberStatus.DONE,
                    next_due_at=None,
                    next_number=None,
                    next_kind=AttemptKind.AUTOMATIC,
                    attempt_id=None,
                )
            )
            _play(writer, scene, fate, cycle_id, person_id, start)
    # the planted anomalies, in cycle 1: a person completed twice...
    twice = next(
        key for key, fate in scene.fates.items() if key[0] == first.id and fate == "reached"
    )
    again = writer.attempt(
        twice[0],
        twice[1],
        CYCLE1_START + timedelta(days=1, hours=8),
        CallOutcome.ANSWERED,
        agent="agent2",
        disposition="reached",
    )
    writer.sheet(again, Disposition.COMPLETE, True)
    scene.duplicate = twice
    # ... and a complete questionnaire on a call no agent ever took
    lost = writer.attempt(
        first.id, person_ids[0], CYCLE1_START + timedelta(hours=9, minutes=30), CallOutcome.HUNG_UP
    )
    lost_sheet = writer.sheet(lost, Disposition.COMPLETE, True)
    async with transaction(sessions) as session:
        session.add_all(writer.rows)
        await session.flush()
        session.add_all(writer.sheets)
        await session.flush()
        scene.unbridged_sheet = lost_sheet.id
        for sheet, values in writer.alerts:
            session.add(Alert(sheet_id=sheet.id, person_id=sheet.person_id, **values))
    return scene


def _play(  # noqa: PLR0912 - one branch per fate reads best
    writer: _Writer, scene: Scene, fate: str, cycle_id: int, person_id: int, start: datetime
) -> None:
    rng = writer.rng
    times = sorted(_slot(rng, start, day) for day in (0, 0, 1, 1))
    agent = rng.choice(AGENTS)

    def result(value: CycleResult, note: str = "") -> None:
        writer.rows.append(
            CycleResultRow(
                cycle_id=cycle_id,
                person_id=person_id,
                result=value,
                decided_at=start + timedelta(hours=47),
                note=note,
            )
        )

    def reached(at: datetime) -> None:
        attempt = writer.attempt(
            cycle_id, person_id, at, CallOutcome.ANSWERED, agent=agent, disposition="reached"
        )
        sheet = writer.sheet(attempt, Disposition.COMPLETE, True)
        result(CycleResult.REACHED)
        if rng.random() < 0.4:
            acknowledged = rng.random() < 0.6
            raised = attempt.wrap_up_done_at or at
            writer.alerts.append(
                (
                    sheet,
                    {
                        "key": "eau",
                        "team_id": rng.choice((scene.teams["nord"], scene.teams["defaut"], None)),
                        "need": "home_help",
                        "priority": rng.randint(1, 4),
                        "message": "Pas d'eau fraîche : livrer de l'eau.",
                        "because": [],
                        "risk_level": "élevé",
                        "agent_instructions": None,
                        "routed_to_default": False,
                        "raised_by": agent,
                        "raised_at": raised,
                        "state": AlertState.ACKNOWLEDGED if acknowledged else AlertState.OPEN,
                        "escalation_level": 0 if acknowledged else rng.randint(0, 2),
                        "escalated_at": None,
                        "next_escalation_at": None,
                        "acknowledged_by": "membre.nord" if acknowledged else None,
                        "acknowledged_at": raised + timedelta(minutes=rng.randint(3, 90))
                        if acknowledged
                        else None,
                        "acknowledgement_note": "",
                    },
                )
            )

    if fate == "reached":
        reached(times[0])
    elif fate == "reached_after_retries":
        misses = rng.randint(1, 3)
        for at in times[:misses]:
            writer.attempt(cycle_id, person_id, at, rng.choice(MISSES))
        reached(times[misses])
    elif fate == "never_reached":
        for at in times:
            writer.attempt(cycle_id, person_id, at, rng.choice(MISSES))
        result(CycleResult.NEVER_REACHED, "attempts_exhausted")
    elif fate == "never_reached_deadline":
        for at in times[:2]:
            writer.attempt(cycle_id, person_id, at, rng.choice(MISSES))
        result(CycleResult.NEVER_REACHED, "deadline_reached")
    elif fate == "wrong_number":
        writer.attempt(cycle_id, person_id, times[0], CallOutcome.INVALID_NUMBER)
        result(CycleResult.WRONG_NUMBER, "no_valid_number")
    elif fate == "refused":
        attempt = writer.attempt(
            cycle_id, person_id, times[0], CallOutcome.ANSWERED, agent=agent, disposition="refused"
        )
        writer.sheet(attempt, Disposition.REFUSED, False)
        result(CycleResult.REFUSED)
    elif fate == "machine_then_reached":
        writer.attempt(cycle_id, person_id, times[0], CallOutcome.MACHINE)
        reached(times[1])
    elif fate == "abandoned_then_reached":
        writer.attempt(cycle_id, person_id, times[0], CallOutcome.ABANDONED)
        writer.attempt(cycle_id, person_id, times[1], CallOutcome.HUNG_UP)
        reached(times[2])
    elif fate == "in_flight":
        writer.attempt(cycle_id, person_id, times[0], CallOutcome.NO_ANSWER)
        writer.attempt(cycle_id, person_id, times[1], None)
    elif fate == "planned_only":
        writer.attempt(cycle_id, person_id, times[0], None, placed=False)
    # not_called: on the register, nothing in the ledger
