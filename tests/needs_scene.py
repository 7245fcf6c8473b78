"""A veille-sociale campaign with enough households for its needs analysis to publish
some cells and suppress others (shared by the web and CLI tests of the analysis).

Fourteen households: eight in the Nord, five in the Sud, one without a district (never
reached). Food: six in the Nord, five in the Sud (published); housing: two in the Nord,
in August (suppressed, with others). Six orientations to food, one appointment for
housing; two follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dialer.core.attempts import AttemptKind, AttemptState, Disposition
from dialer.core.campaigns import CampaignKind
from dialer.core.orientations import OrientationMode
from dialer.core.phones import PhoneKind
from dialer.core.resources import checked_resource
from dialer.storage import (
    CampaignRepository,
    CycleRepository,
    PacingMode,
    PersonRecord,
    PersonRepository,
    PhoneRecord,
    SessionFactory,
)
from dialer.storage.call_sheet_rows import Answer, CallSheet
from dialer.storage.database import transaction
from dialer.storage.models import Attempt, Callback
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow
from dialer.storage.resources import ResourceDirectory
from tests.stored import enrol, person_by_external_id

JULY = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)
AUGUST = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class NeedsScene:
    campaign_id: int
    cycle_id: int


async def volunteer_cycle(
    sessions: SessionFactory,
    name: str,
    start: datetime,
    *,
    days: int,
    windows: dict[str, Any] | None = None,
    policy: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """A veille-sociale campaign (preview, the shipped questionnaire) and its open cycle
    from ``start``, ``days`` long: their ids."""
    campaign = await CampaignRepository(sessions).create(
        name=name,
        kind=CampaignKind.VEILLE_SOCIALE,
        questionnaire_id="veille_sociale",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PREVIEW,
        calling_windows=windows or {},
        retry_policy=policy or {},
        now=start,
    )
    cycle = await CycleRepository(sessions).open(
        campaign.id, started_at=start, deadline=start + timedelta(days=days)
    )
    return campaign.id, cycle.id


def _district(i: int) -> str | None:
    return "Nord" if i <= 8 else "Sud" if i <= 13 else None


async def needs_scene(sessions: SessionFactory, *, name: str = "Veille sociale été") -> NeedsScene:
    await PersonRepository(sessions).write_batch(
        [
            PersonRecord(
                external_id=f"V{i:02d}",
                last_name=f"Foyer{i}",
                district=_district(i),
                phones=[PhoneRecord(f"+331456700{i:02d}", PhoneKind.LANDLINE)],
            )
            for i in range(1, 15)
        ],
        [],
        now=JULY,
    )
    ids = {}
    for i in range(1, 15):
        person = await person_by_external_id(sessions, f"V{i:02d}")
        assert person is not None
        ids[i] = person.id
    directory = ResourceDirectory(sessions)
    await directory.import_entries(
        [
            checked_resource(
                {
                    "nom": "Banque alimentaire",
                    "besoins": "alimentation",
                    "zone": "Ville",
                    "contact": "01",
                }
            ),
            checked_resource(
                {"nom": "ADIL", "besoins": "logement", "zone": "Ville", "contact": "02"}
            ),
        ],
        actor="admin",
        now=JULY,
    )
    resources = {row.name: row.id for row in await directory.list()}
    campaign, cycle = await volunteer_cycle(sessions, name, JULY, days=30)
    await enrol(sessions, cycle, [(ids[i], f"+331456700{i:02d}", JULY) for i in ids])
    async with transaction(sessions) as session:
        for i in range(1, 14):
            at = AUGUST if i in (7, 8) else JULY + timedelta(hours=i)
            needs = ["logement"] if i in (7, 8) else ["alimentation"]
            attempt_id = f"needs-{cycle}-{i}"
            session.add(
                Attempt(
                    id=attempt_id,
                    cycle_id=cycle,
                    person_id=ids[i],
                    number=f"+331456700{i:02d}",
                    kind=AttemptKind.PREVIEW,
                    state=AttemptState.ENDED,
                    planned_for=at,
                )
            )
            await session.flush()
            sheet = CallSheet(
                attempt_id=attempt_id,
                person_id=ids[i],
                cycle_id=cycle,
                agent="benevole",
                questionnaire_id="veille_sociale",
                questionnaire_version=1,
                disposition=Disposition.COMPLETE,
                complete=True,
                opened_at=at,
                updated_at=at,
                submitted_at=at,
            )
            session.add(sheet)
            await session.flush()
            session.add(
                Answer(sheet_id=sheet.id, question_id="besoins", value=needs, answered_at=at)
            )
            session.add(
                Answer(
                    sheet_id=sheet.id, question_id="rappel_souhaite", value=i <= 5, answered_at=at
                )
            )
            if i <= 7:
                session.add(
                    OrientationRow(
                        attempt_id=attempt_id,
                        person_id=ids[i],
                        cycle_id=cycle,
                        resource_id=resources["ADIL" if i == 7 else "Banque alimentaire"],
                        need="housing" if i == 7 else "food",
                        mode=OrientationMode.APPOINTMENT if i == 7 else OrientationMode.INFORMATION,
                        appointment_at=at + timedelta(days=3) if i == 7 else None,
                        note="",
                        caller="benevole",
                        created_at=at,
                    )
                )
            if i in (7, 8):
                callback = Callback(
                    person_id=ids[i],
                    cycle_id=cycle,
                    due_at=at + timedelta(days=2),
                    number=f"+331456700{i:02d}",
                    agent="benevole",
                    done=False,
                    created_at=at,
                )
                session.add(callback)
                await session.flush()
                session.add(
                    FollowUpRow(
                        attempt_id=attempt_id,
                        person_id=ids[i],
                        cycle_id=cycle,
                        callback_id=callback.id,
                        due_at=at + timedelta(days=2),
                        note="",
                        caller="benevole",
                        created_at=at,
                    )
                )
    return NeedsScene(campaign, cycle)
