"""A household's withdrawal of its consent, recorded from the caller's screen during (or
right after) a veille-sociale call: who asked (the person, or their relative or
representative), on the phone, and what (the regular calls; the emergency campaigns too
only when the household says so). The same storage as the API's, the file's and the
supervisor's page's withdrawal (:meth:`ConsentRegistry.withdraw`), audited there; the
household is never called by this mode again and its call-backs not made are cancelled.
No opposition is recorded: the register's emergency calls are not the volunteers'.

Only the call's own caller reaches it, while it is their current call (on call or in its
wrap-up, the sheet's rule): a call they made earlier is "no such call" (404)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dialer.core.consent import AgreedBy, ConsentChannel, ConsentPurpose, may_be_called
from dialer.desk.call_sheets import check_current_call
from dialer.desk.call_view import CallViews
from dialer.desk.orientations import is_veille_sociale
from dialer.desk.port import AgentDesk
from dialer.errors import ConflictError
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from dialer.storage.database import SessionFactory


@dataclass(frozen=True)
class WithdrawalOnCall:
    """What the household asked on the phone (checked by the web layer)."""

    on_behalf_of: AgreedBy
    purposes: frozenset[ConsentPurpose]


@dataclass(frozen=True)
class ConsentLeft:
    """What the household's consents still allow after the withdrawal."""

    changed: bool
    regular_calls: bool
    emergency_campaigns: bool


class CallConsentWithdrawal:
    def __init__(
        self,
        sessions: SessionFactory,
        views: CallViews,
        desk: AgentDesk | None,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._registry = ConsentRegistry(sessions)
        self._views = views
        self._desk = desk
        self._clock = clock

    async def withdraw(
        self, caller: str, attempt_id: str, asked: WithdrawalOnCall, *, route: str
    ) -> ConsentLeft:
        """:class:`NotFoundError` unless it is the caller's current call (or its wrap-up),
        :class:`ConflictError` for a call of another kind of campaign."""
        check_current_call(self._desk, caller, attempt_id)
        context = await self._views.current(caller, attempt_id)
        if not is_veille_sociale(context):
            raise ConflictError(
                "retrait de l'accord : seulement pour un appel de la veille sociale"
            )
        external_id = context.person.external_id
        now = self._clock()
        changed = await self._registry.withdraw(
            [WithdrawalRequest(external_id, asked.on_behalf_of, ConsentChannel.PHONE,
                               purposes=asked.purposes)],
            actor=caller,
            now=now,
            route=route,
        )  # fmt: skip
        consents = [row.consent() for row in await self._registry.history(external_id)]
        return ConsentLeft(
            changed=changed > 0,
            regular_calls=may_be_called(consents, ConsentPurpose.REGULAR_CALLS, now),
            emergency_campaigns=may_be_called(consents, ConsentPurpose.EMERGENCY_CAMPAIGNS, now),
        )
