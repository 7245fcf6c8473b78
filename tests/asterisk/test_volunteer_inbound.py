"""A household of a veille-sociale campaign calling in, on the real rig (issue 21,
continuity): sipp calls the campaign's number from the household's number; two volunteers
are logged in on the rig's baresip softphones and ready, the one the household is not
assigned to ready the longest: the call is joined to the assigned one, and the ledger
writes it as theirs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from dialer.core.attempts import AttemptKind, CycleResult
from dialer.core.campaigns import CampaignKind
from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.core.roles import Role
from dialer.core.volunteer_desk import NO_CAMPAIGN
from dialer.desk.accounts import create_account
from dialer.errors import NotFoundError
from dialer.rig.asterisk import Rig
from dialer.rig.desk import AutoWrapUpDesk
from dialer.rig.world import SimulatedWorld
from dialer.storage import CampaignRepository, PacingMode
from dialer.storage.consents import ConsentRecord, ConsentRegistry
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.schedule import open_cycle_with_register
from dialer.storage.volunteer_calls import VolunteerCalls
from dialer.storage.volunteers import VolunteerRoster
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_inbound_calls import (
    HELENE,
    attempts_of,
    call_in,
    controller,
    import_helene_and_marcel,
    person_id,
    wait_for,
)
from tests.web.support import fast_passwords

WINDOWS = {"week": [["00:00-23:59"]] * 7, "holiday": []}


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'veille.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


async def veille(sessions: SessionFactory, tmp_path: Path, volunteers: list[str]) -> int:
    """Hélène and Marcel, consenting; the two volunteers trained; a veille-sociale campaign
    open all day over the list, Hélène entrusted to the second volunteer."""
    now = datetime.now(UTC)
    await import_helene_and_marcel(sessions, tmp_path)
    await ConsentRegistry(sessions).record(
        [
            ConsentRecord(key, AgreedBy.PERSON, None, now - timedelta(days=30),
                          ConsentChannel.PHONE, True, True, "CCAS")
            for key in ("I1", "I2")
        ],
        actor="t",
        now=now - timedelta(days=1),
    )  # fmt: skip
    await create_account(sessions, "superviseur", "x" * 12, Role.SUPERVISOR,
                         passwords=fast_passwords())  # fmt: skip
    roster = VolunteerRoster(sessions)
    for name in volunteers:
        await create_account(
            sessions, name, "x" * 12, Role.VOLUNTEER, sip_endpoint=name, passwords=fast_passwords()
        )
        await roster.train(name, trained_by="superviseur", trained_on=date(2026, 6, 1),
                           actor="t", now=now)  # fmt: skip
    campaign = await CampaignRepository(sessions).create(
        name="Veille fin d'année",
        kind=CampaignKind.VEILLE_SOCIALE,
        questionnaire_id="veille_sociale",
        questionnaire_version="1",
        caller_id="+33140000000",
        pacing_mode=PacingMode.PREVIEW,
        calling_windows=WINDOWS,
        retry_policy={},
        now=now,
    )
    await open_cycle_with_register(
        sessions, campaign.id, number=1, started_at=now,
        deadline=now + timedelta(days=1), due=now + timedelta(hours=6),
    )  # fmt: skip
    await VolunteerCalls(sessions).assign(campaign.id, "I1", volunteers[1], actor="t", now=now)
    return campaign.id


@pytest.mark.asyncio
async def test_a_household_calling_in_reaches_its_assigned_volunteer(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    volunteers = [phone.account.username for phone in world.softphones[:2]]
    assert len(volunteers) == 2
    campaign_id = await veille(sessions, tmp_path, volunteers)
    helene = await person_id(sessions, "I1")
    desk = AutoWrapUpDesk(wrap_up_s=0.2, result=CycleResult.REACHED)
    engine, node = await controller(sessions, rig, campaign_id, desk)
    engine.set_serving(
        {v: {campaign_id: 1, NO_CAMPAIGN: 1} for v in volunteers},
        volunteers=frozenset(volunteers),
        kinds={campaign_id: CampaignKind.VEILLE_SOCIALE},
    )
    try:
        for volunteer in volunteers:  # the first one ready the longest
            await engine.log_in(volunteer, volunteer)
        await asyncio.sleep(1.0)
        for volunteer in volunteers:
            engine.go_ready(volunteer)
            await asyncio.sleep(0.5)
        await call_in(rig, HELENE, tmp_path, stay_s=4)

        async def written() -> bool:
            return any(a.bridged_at is not None for a in await attempts_of(sessions, helene))

        await wait_for(written)
        await engine.flush()
        (inbound,) = await attempts_of(sessions, helene)
        assert inbound.kind is AttemptKind.INBOUND
        assert inbound.agent == volunteers[1]  # hers, not the one ready the longest
        assert inbound.bridged_at is not None
        assert desk.popped.get(volunteers[0], []) == []
    finally:
        for volunteer in volunteers:
            with contextlib.suppress(NotFoundError):
                await engine.log_out(volunteer)
        await engine.stop()
        await node.stop()
