"""Read-only questions asked of Asterisk over AMI."""

from __future__ import annotations

from dialer.telephony.ami import AmiClient


async def contact_statuses(ami: AmiClient) -> dict[str, str]:
    """Registered PJSIP contacts: endpoint name -> status (``Reachable``, ``Unknown``, ...).

    Needs ``write=system`` for the AMI user (the ``PJSIPShow*`` actions do)."""
    replies = await ami.action("PJSIPShowContacts", expect_list=True)
    return {
        reply.get("Endpoint"): reply.get("Status")
        for reply in replies
        if reply.name == "ContactList" and reply.get("Endpoint")
    }


async def active_channels(ami: AmiClient) -> list[str]:
    """Uniqueids of the channels alive now."""
    replies = await ami.action("CoreShowChannels", expect_list=True)
    return [reply.get("Uniqueid") for reply in replies if reply.name == "CoreShowChannel"]
