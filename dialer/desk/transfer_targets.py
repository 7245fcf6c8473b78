"""The numbers an agent may hand a call to: the settings' (``[transfers] numbers``: the
services, duty phones) and, from the person's record, their relative (``contact_phone``)
and the duty phone of the intervention team covering their district (the team's first
escalation contact with a valid phone; the default team when no team covers it)."""

from __future__ import annotations

from collections.abc import Mapping

from dialer.alerts.raising import scope_of
from dialer.alerts.routing import covering_team
from dialer.core.transfers import TransferTarget, dialable, offered_targets
from dialer.errors import NotFoundError
from dialer.storage.alerts import TeamRepository
from dialer.storage.database import SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.people import PersonRepository


async def call_targets(
    sessions: SessionFactory, configured: Mapping[str, str], attempt_id: str | None
) -> list[TransferTarget]:
    """The numbers offered for the call ``attempt_id`` (the settings' alone without one)."""
    phone = name = district = None
    if attempt_id is not None:
        try:
            attempt = await AttemptLedger(sessions).get(attempt_id)
            if attempt.person_id is not None:
                person = await PersonRepository(sessions).get(attempt.person_id)
                phone, name, district = person.contact_phone, person.contact_name, person.district
        except NotFoundError:
            pass
    duty = await _duty_phone(sessions, district) if attempt_id is not None else None
    return offered_targets(configured, contact_phone=phone, contact_name=name, duty=duty)


async def person_of_call(sessions: SessionFactory, attempt_id: str) -> int | None:
    """The person the call ``attempt_id`` is to (``None``: an unknown caller)."""
    try:
        return (await AttemptLedger(sessions).get(attempt_id)).person_id
    except NotFoundError:
        return None


async def _duty_phone(sessions: SessionFactory, district: str | None) -> tuple[str, str] | None:
    """The covering team's name and duty phone, or ``None``."""
    teams = await TeamRepository(sessions).list_all()
    team = covering_team(district, [scope_of(record) for record in teams])
    if team is None:
        return None
    record = next(r for r in teams if r.team.id == team.team_id)
    numbers = (dialable(c.phone) for c in record.contacts if c.phone)
    number = next((n for n in numbers if n is not None), None)
    return (team.name, number) if number is not None else None
