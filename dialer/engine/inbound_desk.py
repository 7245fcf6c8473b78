"""What calls coming in need of each campaign assigned (its dial queue has one as
``inbound``: :class:`dialer.campaigns.inbound.CycleInboundDesk`); the engine's side is
:mod:`dialer.engine.inbound`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from dialer.core.inbound_match import Engagement
from dialer.engine.ports import DialQueue, PlannedDial


@runtime_checkable
class InboundDesk(Protocol):
    """What calls coming in need of the campaign assigned (its dial queue has one as
    ``inbound``: :class:`dialer.campaigns.inbound.CycleInboundDesk`)."""

    def open_at(self, now: datetime) -> bool:
        """In calling hours at ``now``."""

    async def knows(self, caller: str) -> bool:
        """Whether a person on the register has the number ``caller``."""

    async def free_line(
        self, caller: str, *, engaged: Mapping[int, Engagement], at: datetime
    ) -> str | None:
        """A person whose number ``caller`` is called in while being dialled (``engaged``:
        the people whose call is in progress): withdraw that outbound attempt (no attempt
        spent) and return its id, for the engine to hang it up; None: nobody to free."""

    async def take(
        self,
        attempt_id: str,
        caller: str,
        *,
        agent: str,
        node: str,
        arrived_at: datetime,
        engaged: Mapping[int, Engagement] | None = None,
    ) -> PlannedDial | None:
        """Write the call in the ledger (kind inbound, answered, for ``agent``) for the
        person on the register whose number ``caller`` is, who leaves the dial queue while
        it lasts; None when nobody on the register has that number, or every one holding
        it is on the line with us already (``engaged``: the people whose outbound call is
        in progress; :func:`dialer.core.inbound_match.match_caller` decides, and withdraws
        the outbound call being dialled of the one chosen)."""

    async def unknown_taken(
        self, attempt_id: str, caller: str, *, agent: str, node: str, at: datetime
    ) -> None:
        """Note that ``agent`` took the call of a number on no register (no attempt: an
        attempt needs a person; the audit log keeps who, which number, when)."""

    async def reattach(
        self, attempt_id: str, person_id: int, *, engaged: Mapping[int, Engagement]
    ) -> None:
        """The agent says who is on the shared line: the call ``attempt_id`` becomes
        ``person_id``'s (:class:`ConflictError` saying why not, in French)."""

    async def attach_found(
        self,
        attempt_id: str,
        caller: str,
        person_id: int,
        *,
        agent: str,
        node: str,
        answered_at: datetime,
        bridged_at: datetime | None,
        engaged: Mapping[int, Engagement],
    ) -> PlannedDial:
        """A number on no register: the agent found the person the call is about; it is
        written in the ledger as that person's call coming in (who leaves the dial queue
        while it lasts). :class:`ConflictError` / :class:`NotFoundError` say why not."""

    async def release(self, attempt_id: str, *, at: datetime) -> None:
        """The call ``attempt_id`` taken by :meth:`take` could not be put through to its
        agent: closed as no call, its person waits again as before (no attempt spent)."""

    async def call_back(self, caller: str, *, now: datetime) -> bool:
        """Schedule an agent-reserved call back of the person whose number ``caller`` is,
        at the next calling instant; False when nobody on the register can be."""


@runtime_checkable
class HouseholdVolunteers(Protocol):
    """A veille-sociale campaign's desk also names a caller's own volunteer
    (:class:`dialer.campaigns.inbound.CycleInboundDesk`; a desk without it: nobody)."""

    async def household_volunteer(self, caller: str, *, at: datetime) -> str | None:
        """The own volunteer (:func:`dialer.core.own_volunteer.own_volunteer`) of the
        household whose number ``caller`` is; None: nobody, or nobody has the number."""


def desk_of(queue: DialQueue) -> InboundDesk | None:
    desk = getattr(queue, "inbound", None)
    return desk if isinstance(desk, InboundDesk) else None
