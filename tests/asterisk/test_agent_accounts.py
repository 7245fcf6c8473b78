"""Agents' SIP accounts come from the database: the PJSIP configuration is generated from
it, Asterisk reloads it over AMI, and the agent's softphone registers with credentials of
which only the md5 digest was ever stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from dialer.cli.asterisk import stored_agents
from dialer.desk.accounts import create_account
from dialer.rig.asterisk import Rig
from dialer.rig.softphones import Softphone
from dialer.rig.world import SimulatedWorld
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.sip_accounts import SipAccountRepository
from dialer.telephony.ami import AmiClient
from dialer.telephony.asterisk_config import SipAccount
from dialer.telephony.sip_accounts import publish_sip_accounts


@pytest_asyncio.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'agents.db'}")
    await migrate_engine(engine)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.mark.asyncio
async def test_an_agent_created_in_the_database_registers_after_a_reload_through_ami(
    sessions: SessionFactory,
    rig: Rig,
    world: SimulatedWorld,
    ami: AmiClient,
    tmp_path: Path,
) -> None:
    await create_account(sessions, "agent-2001", "mot-de-passe-long-1", "agent", None, "agent-2001")
    endpoint, password = await SipAccountRepository(sessions).reset(
        "agent-2001", remote=False, now=datetime.now(UTC)
    )
    configured = await publish_sip_accounts(
        rig.settings,
        [*rig.agent_accounts(), *await stored_agents(sessions)],
        target=rig.chroot.etc,
        ami=ami,
        ami_secret=rig.ami_secret,
    )
    assert endpoint in configured
    pjsip = (rig.chroot.etc / "pjsip.conf").read_text(encoding="utf-8")
    assert password not in pjsip  # only the digest is written, and stored
    assert "md5_cred = " in pjsip
    phone = Softphone(
        SipAccount(endpoint, password=password),
        host="127.0.0.1",
        port=5094,
        registrar_host=rig.settings.sip.bind_host,
        registrar_port=rig.settings.sip.port,
        state_dir=tmp_path,
    )
    phone.start()
    try:
        statuses = await world.wait_registered(ami, [endpoint], timeout_s=10)
        assert endpoint in statuses
    finally:
        phone.stop()
        rig.render_configuration()  # back to the rig's own agents
        await ami.action("Reload", {"Module": "res_pjsip.so"})
