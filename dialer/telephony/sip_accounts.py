"""Agents' SIP accounts published to a running Asterisk: the PJSIP configuration rendered
with every agent's endpoint, written, and reloaded through AMI.

``dialer asterisk sync`` publishes the agents of the database (``dialer users create
--role agent`` and ``sip-reset`` store them); the rig's tests publish theirs beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dialer.settings import Settings
from dialer.telephony import asterisk_config
from dialer.telephony.ami import AmiClient
from dialer.telephony.asterisk_config import SipAccount


async def publish_sip_accounts(
    settings: Settings,
    agents: Sequence[SipAccount],
    *,
    target: Path,
    ami: AmiClient,
    ami_secret: str,
    ami_permit: Sequence[str] = asterisk_config.LOOPBACK_ONLY,
) -> list[str]:
    """Render the configuration with ``agents``, write it into ``target`` and reload PJSIP
    through AMI. Returns the endpoints configured."""
    rendered = asterisk_config.render(
        settings,
        ami_secret=ami_secret,
        agents=agents,
        ami_permit=ami_permit,
    )
    asterisk_config.write(rendered, target)
    await ami.action("Reload", {"Module": "res_pjsip.so"})
    return [agent.username for agent in agents]
