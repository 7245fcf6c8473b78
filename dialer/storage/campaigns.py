"""Campaigns and their cycles."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.core.cycle_closure import WaitingAtClose, result_at_close
from dialer.core.cycles import NeverReachedReason
from dialer.core.pacing_settings import PacingMode
from dialer.core.roles import Role
from dialer.errors import ConflictError, NotFoundError
from dialer.storage.account_rows import Account
from dialer.storage.answers import reached_in
from dialer.storage.consent_rows import unconsented_in_cycle
from dialer.storage.database import SessionFactory, transaction
from dialer.storage.household_rows import HouseholdAssignment
from dialer.storage.models import Attempt, Campaign, Cycle, CycleResultRow
from dialer.storage.schedule import CycleMember, MemberStatus


class CampaignRepository:
    """Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def create(
        self,
        *,
        name: str,
        kind: CampaignKind,
        questionnaire_id: str,
        questionnaire_version: str,
        caller_id: str,
        pacing_mode: PacingMode,
        calling_windows: dict[str, Any],
        retry_policy: dict[str, Any],
        now: datetime,
        answering_machine_detection: bool = False,
        ring_timeout_s: int | None = None,
    ) -> Campaign:
        """A new campaign, in ``draft``. Raises :class:`ConflictError` if the name is taken."""
        campaign = Campaign(
            name=name,
            kind=kind,
            questionnaire_id=questionnaire_id,
            questionnaire_version=questionnaire_version,
            caller_id=caller_id,
            pacing_mode=pacing_mode,
            calling_windows=calling_windows,
            retry_policy=retry_policy,
            answering_machine_detection=answering_machine_detection,
            ring_timeout_s=ring_timeout_s,
            state=CampaignState.DRAFT,
            created_at=now,
        )
        async with transaction(self._sessions) as session:
            if await session.scalar(select(Campaign.id).where(Campaign.name == name)):
                raise ConflictError(f"la campagne « {name} » existe déjà")
            session.add(campaign)
        return campaign

    async def get(self, campaign_id: int) -> Campaign:
        async with transaction(self._sessions) as session:
            campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            raise NotFoundError(f"campaign {campaign_id}: no such campaign")
        return campaign

    async def by_name(self, name: str) -> Campaign:
        async with transaction(self._sessions) as session:
            campaign = await session.scalar(select(Campaign).where(Campaign.name == name))
        if campaign is None:
            raise NotFoundError(f"campaign {name!r}: no such campaign")
        return campaign

    async def list_all(self) -> list[Campaign]:
        async with transaction(self._sessions) as session:
            return list(await session.scalars(select(Campaign).order_by(Campaign.id)))

    async def set_state(
        self, campaign_id: int, state: CampaignState, *, expected: Collection[CampaignState]
    ) -> Campaign:
        """Move a campaign to ``state`` if it is in one of ``expected`` (compare-and-set;
        which moves are allowed is the caller's rule). Raises :class:`ConflictError`."""
        async with transaction(self._sessions) as session:
            campaign = await session.get(Campaign, campaign_id, with_for_update=True)
            if campaign is None:
                raise NotFoundError(f"campaign {campaign_id}: no such campaign")
            if campaign.state not in expected:
                raise ConflictError(
                    f"campaign {campaign.name!r} is {campaign.state.value}: "
                    f"cannot make it {state.value}"
                )
            campaign.state = state
        return campaign

    async def set_pacing(
        self,
        campaign_id: int,
        *,
        mode: PacingMode,
        max_abandon_rate: float,
        max_lines_per_agent: float | None = None,
    ) -> Campaign:
        """Store the campaign's pacing mode, abandon cap and (unless ``None``: kept) lines per
        agent cap (validated by the caller)."""
        async with transaction(self._sessions) as session:
            campaign = await session.get(Campaign, campaign_id, with_for_update=True)
            if campaign is None:
                raise NotFoundError(f"campaign {campaign_id}: no such campaign")
            campaign.pacing_mode = mode
            campaign.max_abandon_rate = max_abandon_rate
            if max_lines_per_agent is not None:
                campaign.max_lines_per_agent = max_lines_per_agent
        return campaign

    async def set_settings(
        self,
        campaign_id: int,
        *,
        expected_version: int,
        values: dict[str, Any],
    ) -> Campaign:
        """Store the campaign's settings (``calling_windows``, ``retry_policy``,
        ``answering_machine_detection``, ``caller_id``, ``ring_timeout_s``,
        ``questionnaire_version``; validated by the caller) if its settings are still at
        ``expected_version`` (compare-and-set), and raise the version. :class:`ConflictError`
        when someone changed them in between."""
        allowed = {
            "calling_windows",
            "retry_policy",
            "answering_machine_detection",
            "caller_id",
            "ring_timeout_s",
            "questionnaire_version",
        }
        if not set(values) <= allowed:
            raise ValueError(f"not a campaign setting: {sorted(set(values) - allowed)}")
        async with transaction(self._sessions) as session:
            changed = await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.settings_version == expected_version)
                .values(**values, settings_version=Campaign.settings_version + 1)
                .execution_options(synchronize_session=False)
            )
            campaign = await session.get(Campaign, campaign_id, populate_existing=True)
            if campaign is None:
                raise NotFoundError(f"campaign {campaign_id}: no such campaign")
            if getattr(changed, "rowcount", 0) != 1:
                raise ConflictError(
                    f"les réglages de « {campaign.name} » ont été modifiés entre-temps "
                    f"(version {campaign.settings_version}, vous aviez la version "
                    f"{expected_version}) : rechargez-les"
                )
        return campaign


class CycleRepository:
    """Cycles of a campaign, numbered 1, 2, ... Each method is one committed transaction."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def open(
        self,
        campaign_id: int,
        *,
        started_at: datetime,
        deadline: datetime,
        number: int | None = None,
    ) -> Cycle:
        """Start the campaign's next cycle (numbered ``number``, default the last + 1).
        Raises :class:`ConflictError` while one is open, or when cycle ``number`` exists
        already: the unique (campaign, number) constraint makes two controllers racing for
        one slot open it once."""
        async with transaction(self._sessions) as session:
            if await session.get(Campaign, campaign_id) is None:
                raise NotFoundError(f"campaign {campaign_id}: no such campaign")
            still_open = await session.scalar(
                select(Cycle.number)
                .where(Cycle.campaign_id == campaign_id)
                .where(Cycle.closed_at.is_(None))
            )
            if still_open is not None:
                raise ConflictError(
                    f"campaign {campaign_id}: cycle {still_open} is still open; close it first"
                )
            if number is None:
                last = await session.scalar(
                    select(func.max(Cycle.number)).where(Cycle.campaign_id == campaign_id)
                )
                number = (last or 0) + 1
            cycle = Cycle(
                campaign_id=campaign_id,
                number=number,
                started_at=started_at,
                deadline=deadline,
            )
            session.add(cycle)
        return cycle

    async def get(self, cycle_id: int) -> Cycle:
        async with transaction(self._sessions) as session:
            cycle = await session.get(Cycle, cycle_id)
        if cycle is None:
            raise NotFoundError(f"cycle {cycle_id}: no such cycle")
        return cycle

    async def current(self, campaign_id: int) -> Cycle | None:
        """The campaign's open cycle, if any."""
        async with transaction(self._sessions) as session:
            return await session.scalar(
                select(Cycle)
                .where(Cycle.campaign_id == campaign_id)
                .where(Cycle.closed_at.is_(None))
            )

    async def latest(self, campaign_id: int) -> Cycle | None:
        """The campaign's cycle with the highest number, open or closed."""
        async with transaction(self._sessions) as session:
            return await session.scalar(
                select(Cycle)
                .where(Cycle.campaign_id == campaign_id)
                .order_by(Cycle.number.desc())
                .limit(1)
            )

    async def list_for(self, campaign_id: int) -> list[Cycle]:
        async with transaction(self._sessions) as session:
            return list(
                await session.scalars(
                    select(Cycle).where(Cycle.campaign_id == campaign_id).order_by(Cycle.number)
                )
            )

    async def close(self, cycle_id: int, *, at: datetime) -> ClosedCycle:
        """Close a cycle, in one transaction: every member still waiting gets their result
        (:func:`~dialer.core.cycle_closure.result_at_close`: ``never_reached`` with the
        reason, unless reached, withdrawn or taken over) and the count of their attempts
        dialled in the cycle. Members in a call or a wrap-up
        keep going: their result is recorded when their call ends. Raises
        :class:`ConflictError` when the cycle is already closed (compare and set: it is
        closed once, even by two controllers at the same instant)."""
        async with transaction(self._sessions) as session:
            closed = await session.execute(
                update(Cycle)
                .where(Cycle.id == cycle_id)
                .where(Cycle.closed_at.is_(None))
                .values(closed_at=at)
                .execution_options(synchronize_session=False)
            )
            cycle = await session.get(Cycle, cycle_id, populate_existing=True)
            if cycle is None:
                raise NotFoundError(f"cycle {cycle_id}: no such cycle")
            if closed.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(f"cycle {cycle_id}: already closed at {cycle.closed_at}")
            waiting = await _waiting_at_close(session, cycle, at)
            marked = []
            for person_id, member in waiting:
                result, reason = result_at_close(member)
                session.add(
                    CycleResultRow(
                        cycle_id=cycle_id,
                        person_id=person_id,
                        result=result,
                        decided_at=at,
                        note=reason.value if reason else "",
                        never_reached_reason=reason,
                        attempt_count=member.attempts,
                    )
                )
                if reason is not None:
                    marked.append(NeverReached(person_id, reason, member.attempts))
            if waiting:
                await session.execute(
                    update(CycleMember)
                    .where(CycleMember.cycle_id == cycle_id)
                    .where(CycleMember.status == MemberStatus.WAITING)
                    .values(status=MemberStatus.DONE, next_due_at=None)
                    .execution_options(synchronize_session=False)
                )
        return ClosedCycle(cycle, tuple(marked))


async def _waiting_at_close(
    session: AsyncSession, cycle: Cycle, at: datetime
) -> list[tuple[int, WaitingAtClose]]:
    """The cycle's members still waiting, by person, with what the closing rule needs."""
    waiting = list(
        await session.scalars(
            select(CycleMember.person_id)
            .where(CycleMember.cycle_id == cycle.id)
            .where(CycleMember.status == MemberStatus.WAITING)
            .order_by(CycleMember.person_id)
        )
    )
    if not waiting:
        return []
    counts = await session.execute(
        select(Attempt.person_id, func.count())
        .where(Attempt.cycle_id == cycle.id)
        .where(Attempt.placed_at.is_not(None))
        .group_by(Attempt.person_id)
    )
    dialled = {int(person_id): int(n) for person_id, n in counts.all()}
    reached = set(await session.scalars(reached_in(cycle.id)))
    withdrawn = set(
        await session.scalars(
            select(CycleMember.person_id)
            .where(CycleMember.cycle_id == cycle.id)
            .where(CycleMember.status == MemberStatus.WAITING)
            .where(unconsented_in_cycle(cycle.id, CycleMember.person_id, at))
        )
    )
    taken_over = set(
        await session.scalars(
            select(HouseholdAssignment.person_id)
            .join(Account, Account.id == HouseholdAssignment.account_id)
            .where(HouseholdAssignment.campaign_id == cycle.campaign_id)
            .where(Account.role == Role.SUPERVISOR)
        )
    )
    return [
        (
            person_id,
            WaitingAtClose(
                attempts=dialled.get(person_id, 0),
                reached=person_id in reached,
                consent_gone=person_id in withdrawn,
                taken_over=person_id in taken_over,
            ),
        )
        for person_id in waiting
    ]


@dataclass(frozen=True)
class NeverReached:
    """A person a cycle's closing put on its never-reached list."""

    person_id: int
    reason: NeverReachedReason
    attempts: int


@dataclass(frozen=True)
class ClosedCycle:
    cycle: Cycle
    #: the people the closing marked never reached (those whose planner had already
    #: stopped are marked as their last attempt settles, by the dial queue)
    never_reached: tuple[NeverReached, ...]
