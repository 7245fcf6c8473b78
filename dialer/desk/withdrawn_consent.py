"""A veille-sociale call whose household withdrew its consent to the regular calls (from
the caller's screen, or a supervisor during the call): its call-backs and follow-ups were
cancelled, so the same call may book none again, nor record an orientation; the sheet is
still submitted with another disposition."""

from __future__ import annotations

from datetime import datetime

from dialer.core.campaigns import CampaignKind
from dialer.core.consent import ConsentGap, consent_gap
from dialer.desk.call_view import CallContext
from dialer.errors import InputError
from dialer.storage.consents import ConsentRegistry
from dialer.storage.database import SessionFactory


async def refuse_after_withdrawal(
    sessions: SessionFactory, context: CallContext, field: str, *, now: datetime
) -> None:
    """:class:`InputError` naming ``field`` when ``context`` is a veille-sociale call and
    its household may no longer be called for the regular calls at ``now`` because it
    withdrew its consent to them (:func:`consent_gap`)."""
    if context.campaign.kind is not CampaignKind.VEILLE_SOCIALE:
        return
    rows = await ConsentRegistry(sessions).history(context.person.external_id)
    if consent_gap([row.consent() for row in rows], now) is not ConsentGap.WITHDRAWN:
        return
    raise InputError(
        f"{field} : le foyer a retiré son accord aux appels réguliers ; plus de rappel, "
        "de suivi ni d'orientation sur cet appel (choisissez une autre issue)"
    )
