"""The telephony port: what the engine asks of Asterisk and what it hears back.

The engine depends on :class:`TelephonyPort` only. :class:`dialer.telephony.node.AsteriskNode`
implements it over AMI; tests use a fake. Events are plain frozen dataclasses carrying
Asterisk's own event time (``Timestamp:`` header) so ring, talk and wrap-up are exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dialer.core.call_help import SpyMode
from dialer.core.own_line import OwnLineCall
from dialer.core.reconciliation import RecordedEnd

AGENT_LEG_PREFIX = "agentleg-"
#: the Uniqueid prefix of a supervisor's phone channel listening to a call (ChanSpy)
SPY_PREFIX = "spy-"
#: the Uniqueid prefix of a third party's channel a call is transferred to
TRANSFER_PREFIX = "xfer-"


@dataclass(frozen=True)
class DialRequest:
    """One Originate. ``attempt_id`` is the ledger's id, used as ChannelId."""

    attempt_id: str
    number: str
    caller_id: str
    ring_timeout_s: int
    answering_machine_detection: bool = False
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OriginateResult:
    """Asterisk's ``OriginateResponse`` for an attempt (Reason 4 = answered)."""

    attempt_id: str
    reason: int | None
    at: datetime


@dataclass(frozen=True)
class CallRinging:
    attempt_id: str
    at: datetime


@dataclass(frozen=True)
class CallAnswered:
    """The person answered (and, with AMD, was judged human): the join window runs."""

    attempt_id: str
    at: datetime


@dataclass(frozen=True)
class CallMachine:
    """Answering-machine detection heard a machine; the dialplan hangs up."""

    attempt_id: str
    at: datetime


@dataclass(frozen=True)
class CallAbandoned:
    """The dialplan gave up waiting for an agent and plays the information message."""

    attempt_id: str
    at: datetime


@dataclass(frozen=True)
class CallJoined:
    """The person's channel entered a bridge (with an agent leg)."""

    attempt_id: str
    bridge_id: str
    at: datetime


@dataclass(frozen=True)
class CallLeftBridge:
    attempt_id: str
    bridge_id: str
    at: datetime


@dataclass(frozen=True)
class CallEnded:
    """The person's channel hung up, with Asterisk's cause and the SIP status."""

    attempt_id: str
    cause: int | None
    tech_cause: int | None
    at: datetime


@dataclass(frozen=True)
class CallInbound:
    """A person called the campaign's number: Asterisk answered and the call waits in
    ``[dialer-inbound]`` for the controller (``attempt_id`` is its Uniqueid; ``caller``
    the number the carrier gave, as sent)."""

    attempt_id: str
    caller: str
    at: datetime


@dataclass(frozen=True)
class InboundUnanswered:
    """Nobody took the incoming call in time: the caller hears that we will call back."""

    attempt_id: str
    caller: str
    at: datetime


@dataclass(frozen=True)
class AgentLegIdle:
    """The agent's phone leg waits in the dialplan for the next call."""

    agent: str
    leg_id: str
    at: datetime


@dataclass(frozen=True)
class AgentLegEnded:
    agent: str
    leg_id: str
    cause: int | None
    at: datetime


@dataclass(frozen=True)
class NodeConnected:
    """A (new) AMI session is up: time to reconcile. ``uptime_s`` tells a restart."""

    node: str
    at: datetime


@dataclass(frozen=True)
class NodeDisconnected:
    node: str
    reason: str
    at: datetime


TelephonyEvent = (
    OriginateResult
    | CallRinging
    | CallAnswered
    | CallMachine
    | CallAbandoned
    | CallJoined
    | CallLeftBridge
    | CallEnded
    | CallInbound
    | InboundUnanswered
    | AgentLegIdle
    | AgentLegEnded
    | NodeConnected
    | NodeDisconnected
)


class TelephonyPort(Protocol):
    """One telephony node (an Asterisk server) as the engine sees it."""

    name: str
    channel_limit: int

    @property
    def prompts_present(self) -> bool | None:
        """Asterisk has the information message a person no agent takes hears (None: not
        known yet). The engine places no call on a node without it."""

    async def place_call(self, request: DialRequest) -> None:
        """Send the Originate (Async). Returns once Asterisk accepted or refused it; the
        outcome arrives as events. Raises :class:`dialer.errors.TelephonyError`."""

    async def join(self, attempt_id: str, agent: str, leg_id: str) -> bool:
        """Bridge an answered person with the agent's phone leg ``leg_id`` (waiting in the
        agent's conference). False when the dialplan had already given up (abandoned) or
        the person hung up: the agent stays free."""

    async def hang_up(self, channel_id: str) -> None: ...

    async def send_to(self, channel_id: str, context: str) -> bool:
        """Move a call waiting in the dialplan to ``context`` (extension ``s``); False
        when it is gone."""

    async def tell_position(self, channel_id: str, word: str) -> bool:
        """Tell a caller waiting in ``[dialer-inbound]`` their position in the queue (the
        prompt word, :func:`dialer.core.inbound_queue.position_word`); False when the call
        is gone."""

    async def connect_agent(self, agent: str, endpoint: str, leg_id: str) -> None:
        """Call the agent's phone once; it auto-answers and waits in the dialplan."""

    async def call_agent_phone(
        self, agent: str, number: str, leg_id: str, *, caller_id: str
    ) -> OwnLineCall:
        """Call the agent's own phone ``number`` through the trunk, as people are called;
        it becomes their leg (waiting in the dialplan as a softphone's) only once they press
        1. Returns how the call ended; a leg not confirmed is hung up."""

    async def held_for_transfer(self) -> dict[str, str]:
        """The people on hold in a transfer (``[dialer-transfer]`` ``hold``): their call's
        id → the transfer's id."""

    async def back_to_agent(self, attempt_id: str, leg_id: str) -> None:
        """The agent's leg back to ``[dialer-agent]`` and the person bridged with it again."""

    async def release_person(self, attempt_id: str) -> None:
        """The person, their agent's leg gone: the information message, then the end."""

    async def live_channels(self) -> set[str]:
        """Uniqueids of the channels alive on this node."""

    async def recorded_end(self, attempt_id: str) -> RecordedEnd | None:
        """Asterisk's own record of how an attempt ended (None if it has none)."""

    async def forget_recorded_end(self, attempt_id: str) -> None: ...

    async def next_event(self) -> TelephonyEvent:
        """The next event from this node (waits)."""

    def statistics(self) -> dict[str, int | float | str | bool]: ...


@dataclass(frozen=True)
class SpyEnded:
    """A supervisor's listening channel hung up (``spy_id``: its Uniqueid). ``at`` is
    Asterisk's time, or the time the node found the channel gone (a lost AMI session)."""

    spy_id: str
    at: datetime


class SupervisionPort(Protocol):
    """What supervisors' listening needs of a telephony node (``AsteriskNode`` has it)."""

    async def spy_on(self, spy_id: str, endpoint: str, leg_id: str, mode: SpyMode) -> None:
        """Call the supervisor's phone ``endpoint`` (channel Uniqueid ``spy_id``) into
        ``ChanSpy`` on the agent's phone leg ``leg_id`` in ``mode``. Returns once the phone
        answered; :class:`dialer.errors.TelephonyError` if it did not or the leg is gone."""

    async def hang_up(self, channel_id: str) -> None: ...

    async def bridged_channels(self) -> set[str]:
        """Uniqueids of the channels in a bridge now (an agent's leg on a call)."""

    def follow_spies(self, spy_ids: set[str]) -> None:
        """Listenings started before (another session, a restart): their end is reported
        too, found at the next session if their hang-up was missed."""

    async def next_spy_end(self) -> SpyEnded:
        """The next listening that ended (waits)."""


class TransferPort(Protocol):
    """What transfers need of a telephony node (``AsteriskNode`` has it): the dialplan's
    ``[dialer-transfer]`` steps, each an AMI Redirect or Originate."""

    async def hold_for_transfer(
        self, transfer_id: str, attempt_id: str, leg_id: str, *, person_in_room: bool
    ) -> None:
        """Move the agent's leg into the transfer's conference, and the person either on
        hold (warm) or into the conference too (``person_in_room``)."""

    async def call_third_party(
        self, transfer_id: str, number: str, *, caller_id: str, ring_timeout_s: int
    ) -> bool:
        """Call ``number`` through the trunk into the transfer's conference (channel
        Uniqueid ``TRANSFER_PREFIX + transfer_id``); True once it answered."""

    async def person_into_room(self, transfer_id: str, attempt_id: str) -> None:
        """The waiting person joins the transfer's conference."""

    async def agent_leaves(self, leg_id: str) -> None:
        """The agent's leg back to ``[dialer-agent]``, ready for the next call."""

    async def back_to_agent(self, attempt_id: str, leg_id: str) -> None:
        """The agent's leg back to ``[dialer-agent]`` and the person bridged with it again."""

    async def release_person(self, attempt_id: str) -> None:
        """The person, their agent's leg gone, taken off hold: the information message,
        then the end of the call (the lost agent's path, ``rejoin``'s ``released``)."""

    async def transfer_legs(
        self, extens: tuple[str, ...] = ("hold", "room", "third", "rejoin")
    ) -> dict[str, tuple[str, str]]:
        """The channels in ``[dialer-transfer]`` at one of ``extens`` (a restart finds the
        transfers it no longer follows): Uniqueid → (the extension, the transfer's id)."""

    async def hang_up(self, channel_id: str) -> None: ...

    async def live_channels(self) -> set[str]: ...
