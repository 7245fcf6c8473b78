"""A campaign's selection (:mod:`dialer.core.selection`) in SQL: who a cycle enrols, and
how many that is before the start. Nobody removed from the register, and nobody a hold
keeps out of calls (opposed, deceased, …: :mod:`dialer.core.holds`), is ever selected."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from dialer.core.campaigns import CampaignKind, CampaignState, enrols_only_consenting
from dialer.core.consent import CONSENT_LIST
from dialer.core.selection import FLAGS, Selection, born_by, selection_to_json, stored_selection
from dialer.errors import ConflictError, InputError, NotFoundError
from dialer.storage.consent_rows import consented_at, emergency_consented_at, kept_from_emergency
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.hold_rows import held_at
from dialer.storage.list_rows import PersonList, on_list
from dialer.storage.list_rows import list_counts as counts_by_list
from dialer.storage.models import Campaign, Person, PhoneNumber

#: a select over :class:`Person`
_Rows = TypeVar("_Rows", bound=Select[*tuple[Any, ...]])


async def list_names(sessions: SessionFactory) -> set[str]:
    """The names of every list."""
    async with transaction(sessions) as session:
        return {str(name) for name in await session.scalars(select(PersonList.name))}


async def selected_where(
    session: AsyncSession,
    rows: _Rows,
    selection: Selection,
    *,
    day: date,
    now: datetime,
    emergency: bool = False,
) -> _Rows:
    """``rows`` (a select over :class:`Person`) narrowed to the selection on ``day`` (the
    cycle's start), people on the register with a number and held by nothing at ``now``.
    ``emergency``: for an emergency campaign, where the veille-sociale list's households
    count only with a valid consent to emergency campaigns at ``now``
    (:func:`dialer.core.selection.selects`). :class:`InputError` for a list that no longer
    exists."""
    number = aliased(PhoneNumber)
    rows = (
        rows.where(Person.removed_at.is_(None))
        .where(select(number.id).where(number.person_id == Person.id).exists())
        .where(~held_at(Person.id, now))
    )
    if selection.lists:
        named = await session.execute(
            select(PersonList.name, PersonList.id).where(PersonList.name.in_(list(selection.lists)))
        )
        found = {str(name): int(number) for name, number in named}
        missing = [name for name in selection.lists if name not in found]
        if missing:
            raise InputError(f"selection.lists : liste inconnue « {missing[0]} »")
        rows = rows.where(on_list(Person.id, found.values()))
    if selection.districts:
        rows = rows.where(Person.district.in_(list(selection.districts)))
    if selection.postcodes:
        rows = rows.where(Person.postcode.in_(list(selection.postcodes)))
    if selection.min_age is not None:
        rows = rows.where(Person.birth_date <= born_by(selection.min_age, day))
    if selection.max_age is not None:
        rows = rows.where(Person.birth_date > born_by(selection.max_age + 1, day))
    for flag in selection.flags:
        rows = rows.where(getattr(Person, FLAGS[flag]).is_(True))
    if emergency:
        rows = await _with_emergency_consent(session, rows, selection, now=now)
    return rows


async def _with_emergency_consent(
    session: AsyncSession, rows: _Rows, selection: Selection, *, now: datetime
) -> _Rows:
    """``rows`` without the households of the veille-sociale list that lack a valid consent
    to emergency campaigns, unless another selected list (or, selecting the whole
    register, another list) has them."""
    rows = rows.where(~kept_from_emergency(Person.id, now))
    if CONSENT_LIST not in selection.lists:
        return rows
    others = await session.scalars(
        select(PersonList.id)
        .where(PersonList.name.in_(list(selection.lists)))
        .where(PersonList.name != CONSENT_LIST)
    )
    return rows.where(on_list(Person.id, list(others)) | emergency_consented_at(Person.id, now))


async def through_consent(
    session: AsyncSession, selection: Selection, *, emergency: bool
) -> ColumnElement[bool]:
    """SQL, for each person a selection enrols: do they come in only through the
    veille-sociale list (on it, and on no other list of the selection; selecting the whole
    register, on no other list), that is on their consent to emergency campaigns? Always
    false outside emergency campaigns."""
    if not emergency or (selection.lists and CONSENT_LIST not in selection.lists):
        return false()
    others = select(PersonList.id).where(PersonList.name != CONSENT_LIST)
    if selection.lists:
        others = others.where(PersonList.name.in_(list(selection.lists)))
    consent_list = select(PersonList.id).where(PersonList.name == CONSENT_LIST)
    return on_list(Person.id, list(await session.scalars(consent_list))) & ~on_list(
        Person.id, list(await session.scalars(others))
    )


async def count_selected(
    sessions: SessionFactory,
    selection: Selection,
    *,
    day: date,
    now: datetime,
    kind: CampaignKind | None = None,
) -> int:
    """How many people the selection enrols in a cycle starting on ``day`` of a campaign of
    ``kind`` (``None``: an emergency campaign). A veille-sociale one enrols only valid
    consents to regular calls, as the cycle's start does
    (:func:`dialer.storage.schedule.enrol_register`); any other takes the veille-sociale
    list's households only with a valid consent to emergency campaigns
    (:func:`selected_where`)."""
    async with transaction(sessions) as session:
        rows = await selected_where(
            session,
            select(func.count()).select_from(Person),
            selection,
            day=day,
            now=now,
            emergency=not enrols_only_consenting(kind),
        )
        if enrols_only_consenting(kind):
            rows = rows.where(consented_at(Person.id, now))
        return int(await session.scalar(rows) or 0)


async def campaign_kind(sessions: SessionFactory, campaign_id: int) -> CampaignKind:
    """The campaign's kind (:class:`NotFoundError` for no such campaign)."""
    async with transaction(sessions) as session:
        found = await session.scalar(select(Campaign.kind).where(Campaign.id == campaign_id))
    if found is None:
        raise NotFoundError(f"campagne {campaign_id} inconnue")
    return CampaignKind(found)


async def list_counts(sessions: SessionFactory) -> list[tuple[str, int]]:
    """Every list's name and how many people are on it now (on the register), by name."""
    async with transaction(sessions) as session:
        return await counts_by_list(await session.connection())


async def campaign_selection(sessions: SessionFactory, campaign_id: int) -> Selection:
    """The campaign's selection (:class:`NotFoundError` for no such campaign)."""
    async with transaction(sessions) as session:
        found = (
            await session.execute(select(Campaign.selection).where(Campaign.id == campaign_id))
        ).one_or_none()
    if found is None:
        raise NotFoundError(f"campagne {campaign_id} inconnue")
    return stored_selection(found[0])


async def set_campaign_selection(
    sessions: SessionFactory, campaign_id: int, selection: Selection
) -> None:
    """Store who the campaign calls from its next cycle on. Only before the start or when
    stopped (:class:`ConflictError` while it runs or is paused: its cycle has enrolled
    already); :class:`NotFoundError` for no such campaign."""
    async with transaction(sessions) as session:
        campaign = await session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is None:
            raise NotFoundError(f"campagne {campaign_id} inconnue")
        if campaign.state not in {CampaignState.DRAFT, CampaignState.STOPPED}:
            raise ConflictError(
                f"la campagne « {campaign.name} » est en cours : arrêtez-la pour changer "
                "sa sélection"
            )
        campaign.selection = selection_to_json(selection)
