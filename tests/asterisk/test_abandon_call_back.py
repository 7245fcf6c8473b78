"""The information message's promise on the real rig (the scene ``make demo`` plays): a
person who answers while the only agent is busy hears the message, then is called back by
an agent reserved for them first (never abandoned again), within the campaign's set delay;
the ledger shows both attempts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from dialer.cli.demo import DEMO_DIR, call_back_demo
from dialer.core.attempts import AttemptKind
from dialer.core.outcomes import CallOutcome
from dialer.rig.asterisk import Rig
from dialer.rig.call_back_scene import play_call_back_scene
from dialer.rig.world import SimulatedWorld
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.telephony.ami import AmiClient

#: the set delay, in seconds on the rig (15 minutes in a campaign)
CALL_BACK_WITHIN = timedelta(seconds=90)


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'call-back.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.mark.asyncio
async def test_an_abandoned_person_is_called_back_by_a_reserved_agent(
    sessions: SessionFactory, rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    agent = world.softphones[0].account.username
    events = ami.subscribe()
    try:
        scene = await play_call_back_scene(
            sessions,
            ami=rig.ami_credentials(),
            trunk=rig.settings.trunk.name,
            agent=agent,
            work_dir=tmp_path,
            call_back_within=CALL_BACK_WITHIN,
        )
        await asyncio.sleep(0.5)
        played = []
        while not events.empty():
            event = events.get_nowait()
            if event.name == "UserEvent" and event.get("UserEvent") == "DialerInformationPlayed":
                played.append(event.get("Attempt"))
    finally:
        ami.unsubscribe(events)

    first, call_back = scene.attempts
    assert (first.kind, first.outcome) == (AttemptKind.AUTOMATIC, CallOutcome.ABANDONED)
    assert played == [first.id]  # they heard the information message, once
    assert call_back.kind is AttemptKind.PREVIEW
    assert call_back.agent == agent  # the agent reserved before the dial took the call
    assert call_back.outcome is CallOutcome.ANSWERED
    assert call_back.bridged_at is not None
    assert first.answered_at is not None
    assert call_back.placed_at is not None
    assert call_back.placed_at - first.answered_at <= CALL_BACK_WITHIN
    assert scene.statistics["abandoned"] == 1  # the call-back was not abandoned
    assert scene.statistics["offered"] == 1
    assert scene.statistics["offers_called"] == 1


@pytest.mark.asyncio
async def test_the_demo_shows_the_abandoned_person_called_back(
    rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / DEMO_DIR).mkdir(parents=True)
    said: list[str] = []
    await call_back_demo(rig, world, said.append, world.softphones[0].account.username)
    text = "\n".join(said)
    assert "Scène « rappel après abandon »" in text
    assert "abandonné" in text.lower()
    assert f"agent réservé {world.softphones[0].account.username}" in text
    assert "rappelée par un agent" in text
