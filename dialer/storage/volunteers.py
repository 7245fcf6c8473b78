"""The volunteers stored (:mod:`dialer.core.volunteers`): their training (date, by whom),
coordinator and availability slots, read together for the coordinators' page, the API and
``dialer volunteers``. Every change writes its audit entry in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.campaign_plans import today_in_paris
from dialer.core.roles import Role
from dialer.core.volunteers import Slot, checked_slots
from dialer.errors import InputError, NotFoundError
from dialer.storage.account_rows import Account
from dialer.storage.audit import append_entry
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.volunteer_rows import VolunteerProfile, VolunteerSlot

#: who may train and coordinate volunteers
_STAFF = (Role.SUPERVISOR, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class Volunteer:
    """A volunteer as the coordinators see them."""

    username: str
    active: bool
    trained_on: date | None
    trained_by: str | None
    coordinator: str | None
    slots: tuple[Slot, ...]


async def _account(
    session: AsyncSession, username: str, roles: Sequence[Role], field: str
) -> Account:
    account = await session.scalar(select(Account).where(Account.username == username))
    if account is None:
        raise NotFoundError(f"champ « {field} » : compte « {username[:50]} » inconnu")
    if account.role not in roles:
        wanted = "un bénévole" if roles == (Role.VOLUNTEER,) else "un superviseur"
        raise InputError(f"champ « {field} » : « {username[:50]} » n'est pas {wanted}")
    return account


async def _profile(session: AsyncSession, account: Account, now: datetime) -> VolunteerProfile:
    profile = await session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.account_id == account.id)
    )
    if profile is None:
        profile = VolunteerProfile(account_id=account.id, updated_at=now)
        session.add(profile)
        await session.flush()
    return profile


class VolunteerRoster:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def list(self) -> list[Volunteer]:
        """Every volunteer account, by username."""
        async with transaction(self._sessions) as session:
            accounts = list(
                await session.scalars(
                    select(Account).where(Account.role == Role.VOLUNTEER).order_by(Account.username)
                )
            )
            return [await self._volunteer(session, account) for account in accounts]

    async def get(self, username: str) -> Volunteer:
        async with transaction(self._sessions) as session:
            account = await _account(session, username, (Role.VOLUNTEER,), "username")
            return await self._volunteer(session, account)

    async def _volunteer(self, session: AsyncSession, account: Account) -> Volunteer:
        profile = await session.scalar(
            select(VolunteerProfile).where(VolunteerProfile.account_id == account.id)
        )
        if profile is None:
            return Volunteer(account.username, account.active, None, None, None, ())
        coordinator = None
        if profile.coordinator_id is not None:
            found = await session.get(Account, profile.coordinator_id)
            coordinator = found.username if found is not None else None
        rows = await session.scalars(
            select(VolunteerSlot).where(VolunteerSlot.profile_id == profile.id)
        )
        slots = tuple(
            sorted(
                Slot(row.day, time.fromisoformat(row.starts), time.fromisoformat(row.ends))
                for row in rows
            )
        )
        return Volunteer(
            account.username,
            account.active,
            profile.trained_on,
            profile.trained_by,
            coordinator,
            slots,
        )

    async def train(
        self,
        username: str,
        *,
        trained_by: str,
        trained_on: date,
        actor: str,
        now: datetime,
        route: str = "",
    ) -> Volunteer:
        """Record that ``username`` (a volunteer) completed their training on
        ``trained_on``, given by ``trained_by`` (a supervisor or an administrator)."""
        if trained_on > today_in_paris(now):
            raise InputError("champ « trained_on » : la formation ne peut pas être dans le futur")
        async with transaction(self._sessions) as session:
            account = await _account(session, username, (Role.VOLUNTEER,), "username")
            trainer = await _account(session, trained_by, _STAFF, "trained_by")
            profile = await _profile(session, account, now)
            profile.trained_on = trained_on
            profile.trained_by = trainer.username
            profile.training_recorded_by = actor[:100]
            profile.training_recorded_at = now
            profile.updated_at = now
            await append_entry(
                session,
                actor=actor,
                action="volunteer.trained",
                target=f"account:{account.username}",
                at=now,
                details={"trained_on": trained_on.isoformat(), "trained_by": trainer.username},
                route=route,
            )
            return await self._volunteer(session, account)

    async def assign(
        self, username: str, *, coordinator: str, actor: str, now: datetime, route: str = ""
    ) -> Volunteer:
        """``coordinator`` (a supervisor) coordinates ``username`` from now."""
        async with transaction(self._sessions) as session:
            account = await _account(session, username, (Role.VOLUNTEER,), "username")
            chosen = await _account(session, coordinator, (Role.SUPERVISOR,), "coordinator")
            if not chosen.active:
                raise InputError(f"champ « coordinator » : « {coordinator[:50]} » est désactivé")
            profile = await _profile(session, account, now)
            profile.coordinator_id = chosen.id
            profile.updated_at = now
            await append_entry(
                session,
                actor=actor,
                action="volunteer.coordinator",
                target=f"account:{account.username}",
                at=now,
                details={"coordinator": chosen.username},
                route=route,
            )
            return await self._volunteer(session, account)

    async def set_slots(
        self,
        username: str,
        slots: Sequence[Slot],
        *,
        actor: str,
        now: datetime,
        route: str = "",
    ) -> Volunteer:
        """Replace the volunteer's availability slots (checked: no overlap)."""
        ordered = checked_slots(list(slots))
        async with transaction(self._sessions) as session:
            account = await _account(session, username, (Role.VOLUNTEER,), "username")
            profile = await _profile(session, account, now)
            await session.execute(
                delete(VolunteerSlot).where(VolunteerSlot.profile_id == profile.id)
            )
            for slot in ordered:
                session.add(
                    VolunteerSlot(
                        profile_id=profile.id,
                        day=slot.day,
                        starts=f"{slot.starts:%H:%M}",
                        ends=f"{slot.ends:%H:%M}",
                    )
                )
            profile.updated_at = now
            await append_entry(
                session,
                actor=actor,
                action="volunteer.slots",
                target=f"account:{account.username}",
                at=now,
                details={"slots": [str(slot) for slot in ordered]},
                route=route,
            )
            await session.flush()
            return await self._volunteer(session, account)
