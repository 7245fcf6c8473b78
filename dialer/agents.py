"""Agents' SIP accounts in Asterisk: generated from the database, reloaded through AMI.

``dialer agents sip-reset NAME`` gives an agent new credentials (shown once); ``dialer
asterisk sync`` (and this module's :func:`sync_asterisk_agents`) writes the PJSIP
configuration with every agent's endpoint and asks Asterisk to reload PJSIP over AMI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dialer.settings import Settings
from dialer.storage.database import SessionFactory
from dialer.storage.sip_accounts import SipAccountRepository
from dialer.telephony import asterisk_config
from dialer.telephony.ami import AmiClient
from dialer.telephony.asterisk_config import SipAccount


async def agent_accounts(sessions: SessionFactory) -> list[SipAccount]:
    return [
        SipAccount(
            username=e.username, md5_cred=e.md5_cred, display_name=e.display_name, remote=e.remote
        )
        for e in await SipAccountRepository(sessions).endpoints()
    ]


async def sync_asterisk_agents(
    settings: Settings,
    sessions: SessionFactory,
    *,
    target: Path,
    ami: AmiClient,
    ami_secret: str,
    also: Sequence[SipAccount] = (),
    ami_permit: Sequence[str] = asterisk_config.LOOPBACK_ONLY,
) -> list[str]:
    """Render the configuration with the database's agents (and ``also``), write it into
    ``target`` and reload PJSIP through AMI. Returns the endpoints configured."""
    agents = [*also, *await agent_accounts(sessions)]
    rendered = asterisk_config.render(
        settings,
        ami_secret=ami_secret,
        agents=agents,
        ami_permit=ami_permit,
    )
    asterisk_config.write(rendered, target)
    await ami.action("Reload", {"Module": "res_pjsip.so"})
    return [agent.username for agent in agents]
