"""One Asterisk server (telephony node) over AMI, implementing the telephony port.

A supervisor task keeps one AMI session open: it connects, announces
:class:`NodeConnected` (the engine then reconciles), pings every ``keepalive_s`` and drops a
session whose Ping goes unanswered, and reconnects with exponential back-off. Nothing is
ever re-sent after a reconnect: an action cut by a lost connection fails, and the engine
finds out what happened from Asterisk's own records.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from dialer.clock import utcnow
from dialer.core.call_help import SpyMode
from dialer.core.operator_messages import say
from dialer.core.own_line import CONFIRM_S, RING_S, OwnLineCall
from dialer.core.reconciliation import RecordedEnd
from dialer.errors import (
    AmiActionError,
    AmiConnectionError,
    AmiTimeoutError,
    NotConnectedError,
    TelephonyError,
)
from dialer.telephony.ami import AmiClient, AmiCredentials
from dialer.telephony.events import AmiMessage
from dialer.telephony.port import (
    SPY_PREFIX,
    TRANSFER_PREFIX,
    AgentLegEnded,
    AgentLegIdle,
    DialRequest,
    NodeConnected,
    NodeDisconnected,
    OriginateResult,
    SpyEnded,
    TelephonyEvent,
)
from dialer.telephony.translate import event_time, parse_recorded_end, translate

log = logging.getLogger(__name__)

ASTDB_FAMILY = "dialer"
#: where ``[dialer-readiness]`` writes what it found (see :meth:`AsteriskNode._check_prompts`)
READINESS_FAMILY = "dialer_ready"
# Commas separate Originate variables: escape the ones inside the Gosub location.
HANGUP_HANDLER = r"dialer-hangup\,s\,1"
#: where an agent's own phone waits for the key 1 (see :meth:`AsteriskNode.call_agent_phone`)
OWN_LINE_CONTEXT = "dialer-own-line"
#: the transfers' dialplan (see :meth:`AsteriskNode.hold_for_transfer`)
TRANSFER_CONTEXT = "dialer-transfer"


class AsteriskNode:
    """The :class:`~dialer.telephony.port.TelephonyPort` over AMI for one Asterisk."""

    def __init__(
        self,
        name: str,
        credentials: AmiCredentials,
        *,
        trunk: str,
        channel_limit: int = 300,
        action_timeout_s: float = 5.0,
        keepalive_s: float = 2.0,
        hang_up_timeout_s: float = 2.0,
        backoff_s: tuple[float, float] = (0.5, 10.0),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.name = name
        self.channel_limit = channel_limit
        self._credentials = credentials
        self._trunk = trunk
        self._timeout = action_timeout_s
        self._keepalive_s = keepalive_s
        self._hang_up_timeout = hang_up_timeout_s
        self._backoff = backoff_s
        self._clock = clock
        self._events: asyncio.Queue[TelephonyEvent] = asyncio.Queue()
        self._client: AmiClient | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stats = {
            "sessions": 0,
            "lost_sessions": 0,
            "calls_placed": 0,
            "events": 0,
            "prompt_checks": 0,
        }
        self._last_ping_ms = 0.0
        self._prompts_present: bool | None = None
        #: agents' own phones called and waiting for the key 1: leg id → its end
        self._own_lines: dict[str, asyncio.Future[OwnLineCall]] = {}
        #: supervisors' listening channels alive, and the ends of those that hung up
        self._spies: set[str] = set()
        self._spy_ends: asyncio.Queue[SpyEnded] = asyncio.Queue()

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self, *, wait_s: float | None = 10.0) -> None:
        """Start the supervisor; wait (bounded) for the first session when ``wait_s``."""
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name=f"ami-{self.name}")
        if wait_s is not None:
            try:
                await asyncio.wait_for(self._connected.wait(), wait_s)
            except TimeoutError as exc:
                raise AmiConnectionError(
                    say("node.no_session", node=self.name, seconds=f"{wait_s:.0f}")
                ) from exc

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.close()
            self._client = None
            log.info(say("ami.stopped", node=self.name))

    @property
    def logged_in(self) -> bool:
        """An AMI session is logged in now (the readiness probe's question)."""
        return self._connected.is_set()

    @property
    def prompts_present(self) -> bool | None:
        """Asterisk has the information message the dialplan plays to a person no agent
        could take (see :meth:`check_prompts`; None until the first check ends)."""
        return self._prompts_present

    def drop_session(self, *, reset: bool = False) -> None:
        """Abort the AMI connection (the node reconnects, the engine reconciles); ``reset``
        also discards what is still in this host's buffers (see :meth:`hang_up`)."""
        if self._client is not None:
            self._client.abort(reset=reset)

    async def _supervise(self) -> None:
        delay = self._backoff[0]
        while True:
            lost = asyncio.Event()
            client = AmiClient(self._credentials, action_timeout_s=self._timeout, on_lost=lost.set)
            try:
                await client.connect()
            except AmiConnectionError as exc:
                log.warning("node %s: %s; retrying in %.1f s", self.name, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            delay = self._backoff[0]
            self._stats["sessions"] += 1
            self._client = client
            queue = client.subscribe()
            pump = asyncio.create_task(self._pump(queue))
            keepalive = asyncio.create_task(self._keepalive(client))
            self._connected.set()
            log.info(
                say(
                    "ami.connected",
                    node=self.name,
                    host=self._credentials.host,
                    port=self._credentials.port,
                )
            )
            await self._events.put(NodeConnected(self.name, self._clock()))
            self._spawn(self._sweep_spies())
            try:
                await lost.wait()
            finally:
                pump.cancel()
                keepalive.cancel()
                client.unsubscribe(queue)
                await self._drain(queue)  # what Asterisk said before the drop counts
                self._connected.clear()
                self._client = None
                await client.close()
            self._stats["lost_sessions"] += 1
            log.warning(say("ami.disconnected", node=self.name))
            await self._events.put(
                NodeDisconnected(self.name, "AMI connection lost", self._clock())
            )
            await asyncio.sleep(delay)

    async def _pump(self, queue: asyncio.Queue[AmiMessage]) -> None:
        while True:
            await self._forward(await queue.get())

    async def _drain(self, queue: asyncio.Queue[AmiMessage]) -> None:
        """The events received but not yet pumped when the session was lost (a burst read
        just before the drop): the pump was cancelled, these still count."""
        while not queue.empty():
            await self._forward(queue.get_nowait())

    async def _forward(self, message: AmiMessage) -> None:
        uniqueid = message.get("Uniqueid")
        if message.name == "Hangup" and uniqueid.startswith(SPY_PREFIX):
            self._spies.discard(uniqueid)
            await self._spy_ends.put(SpyEnded(uniqueid, event_time(message, self._clock())))
            return
        event = translate(message, received_at=self._clock())
        if isinstance(event, AgentLegIdle | AgentLegEnded):
            waiting = self._own_lines.get(event.leg_id)
            if waiting is not None and not waiting.done():
                confirmed = isinstance(event, AgentLegIdle)
                waiting.set_result(
                    OwnLineCall.CONFIRMED if confirmed else OwnLineCall.NOT_CONFIRMED
                )
        if event is not None:
            self._stats["events"] += 1
            await self._events.put(event)

    async def _keepalive(self, client: AmiClient) -> None:
        """Ping when Asterisk has been silent for ``keepalive_s`` and check the answer: a
        half-open connection is noticed within seconds. A busy Asterisk (hundreds of calls
        answering at once) may answer a Ping late; a session that keeps talking is alive."""
        while True:
            await asyncio.sleep(self._keepalive_s)
            if client.silent_for() < self._keepalive_s:
                continue
            started = time.monotonic()
            try:
                await client.action("Ping", timeout_s=max(5.0, 2 * self._keepalive_s))
            except (AmiActionError, AmiConnectionError):
                log.warning("node %s: Ping unanswered, dropping the session", self.name)
                client.abort()
                return
            self._last_ping_ms = (time.monotonic() - started) * 1000

    async def watch_prompts(self, every_s: float = 60.0) -> None:
        """Check :attr:`prompts_present` now and every ``every_s`` (the service runs it for
        its readiness probe and the engine, which places no call on a node without the
        message; one removed or installed later is seen within that). Until a check gets
        an answer (the AMI session is not up yet), it asks again every second."""
        while True:
            known = await self.check_prompts()
            await asyncio.sleep(every_s if known is not None else min(every_s, 1.0))

    async def check_prompts(self) -> bool | None:
        """Ask the dialplan whether the information message's file is there: its
        ``[dialer-readiness]`` writes ``STAT(e,…)`` to AstDB (AMI's own ``Getvar`` may not
        read the file system: Asterisk refuses ``STAT`` to external sources). None while
        no AMI session answers."""
        try:
            client = self._require_client()
            with contextlib.suppress(AmiActionError):  # no earlier answer to forget
                await client.action("DBDel", {"Family": READINESS_FAMILY, "Key": "information"})
            with contextlib.suppress(AmiActionError):  # never answered: refused once it ran
                await client.action(
                    "Originate",
                    {
                        "Channel": "Local/prompts@dialer-readiness",
                        "Application": "NoOp",
                        "Timeout": "2000",
                    },
                )
            replies = await client.action(
                "DBGet", {"Family": READINESS_FAMILY, "Key": "information"}, expect_list=True
            )
        except AmiActionError:  # no answer written: the dialplan is not the dialer's
            self._prompts_present = False
        except (AmiTimeoutError, AmiConnectionError) as exc:
            log.warning("node %s: prompts not checked: %s", self.name, exc)
            return None
        else:
            value = next((r.get("Val") for r in replies if r.name == "DBGetResponse"), None)
            self._prompts_present = value == "1"
        self._stats["prompt_checks"] += 1
        if self._prompts_present is False:
            log.warning(say("node.no_prompt", node=self.name))
        return self._prompts_present

    def _require_client(self) -> AmiClient:
        if self._client is None or not self._client.connected:
            raise NotConnectedError(f"node {self.name}: AMI is not connected")
        return self._client

    # ---- the port -----------------------------------------------------------------------
    async def next_event(self) -> TelephonyEvent:
        return await self._events.get()

    async def place_call(self, request: DialRequest) -> None:
        client = self._require_client()
        variables = [
            f"DIALER_ATTEMPT={request.attempt_id}",
            f"CHANNEL(hangup_handler_push)={HANGUP_HANDLER}",
            f"DIALER_AMD={1 if request.answering_machine_detection else 0}",
            *(f"{key}={value}" for key, value in request.variables.items()),
        ]
        headers: dict[str, str | list[str]] = {
            "Channel": f"PJSIP/{request.number}@{self._trunk}",
            "Context": "dialer-answered",
            "Exten": "s",
            "Priority": "1",
            "Async": "true",
            "ChannelId": request.attempt_id,
            "Timeout": str(request.ring_timeout_s * 1000),
            "Variable": variables,
        }
        if request.caller_id:
            headers["CallerID"] = request.caller_id
        self._stats["calls_placed"] += 1
        self._spawn(self._originate(client, request, headers))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _originate(
        self, client: AmiClient, request: DialRequest, headers: dict[str, str | list[str]]
    ) -> None:
        """Wait for the OriginateResponse (it comes at answer or at the end of ringing)."""
        try:
            replies = await client.action(
                "Originate", headers, expect_list=True, timeout_s=request.ring_timeout_s + 30
            )
        except TelephonyError as exc:
            # Cut by a lost session: the engine reconciles from Asterisk's own records.
            log.info("node %s: originate %s: %s", self.name, request.attempt_id, exc)
            return
        reason = next((r.get("Reason") for r in replies if r.name == "OriginateResponse"), None)
        await self._events.put(
            OriginateResult(request.attempt_id, int(reason) if reason else None, self._clock())
        )

    async def join(self, attempt_id: str, agent: str, leg_id: str) -> bool:
        client = self._require_client()
        try:
            await client.action(
                "Setvar", {"Channel": attempt_id, "Variable": "DIALER_JOINED", "Value": leg_id}
            )
            state = await client.action(
                "Getvar", {"Channel": attempt_id, "Variable": "DIALER_STATE"}
            )
            if state[0].get("Value") == "abandoned":
                return False
            await client.action(
                "Redirect",
                {"Channel": attempt_id, "Context": "dialer-join", "Exten": agent, "Priority": "1"},
            )
        except AmiActionError as exc:  # the person hung up meanwhile
            log.info("node %s: join %s failed: %s", self.name, attempt_id, exc)
            return False
        return True

    async def send_to(self, channel_id: str, context: str) -> bool:
        """Redirect a call waiting in the dialplan to ``context`` (extension ``s``)."""
        client = self._require_client()
        try:
            await client.action(
                "Redirect",
                {"Channel": channel_id, "Context": context, "Exten": "s", "Priority": "1"},
            )
        except AmiActionError as exc:  # the caller hung up meanwhile
            log.info("node %s: redirect %s failed: %s", self.name, channel_id, exc)
            return False
        return True

    async def tell_position(self, channel_id: str, word: str) -> bool:
        client = self._require_client()
        try:
            await client.action(
                "Setvar",
                {"Channel": channel_id, "Variable": "DIALER_POSITION", "Value": word},
                timeout_s=1.0,  # said at the next turn of the waiting loop, or not at all
            )
        except AmiActionError as exc:  # the caller hung up meanwhile
            log.info("node %s: position of %s not told: %s", self.name, channel_id, exc)
            return False
        return True

    async def hang_up(self, channel_id: str) -> None:
        """Hang up now, or raise :class:`TelephonyError`: never later by surprise. With no
        session the hang-up is refused at once. If Asterisk does not confirm it within
        ``hang_up_timeout_s`` (a frozen connection), the session is reset: the request
        still in this host's buffers is discarded rather than carried out when the path
        resumes, the agent is told it did not happen, and the node reconnects (and the
        engine reconciles)."""
        client = self._require_client()
        try:
            await client.action(
                "Hangup", {"Channel": channel_id, "Cause": "16"}, timeout_s=self._hang_up_timeout
            )
        except AmiTimeoutError as exc:
            self.drop_session(reset=True)
            raise TelephonyError(
                f"node {self.name}: hang-up of {channel_id} not confirmed; session reset"
            ) from exc
        except AmiActionError:  # already gone is fine
            return

    async def connect_agent(self, agent: str, endpoint: str, leg_id: str) -> None:
        client = self._require_client()
        replies = await client.action(
            "Originate",
            {
                "Channel": f"PJSIP/{endpoint}",
                "Context": "dialer-agent",
                "Exten": "s",
                "Priority": "1",
                "Async": "true",
                "ChannelId": leg_id,
                "Timeout": "15000",
                "Variable": [f"DIALER_AGENT={agent}"],
            },
            expect_list=True,
            timeout_s=25,
        )
        reason = next((r.get("Reason") for r in replies if r.name == "OriginateResponse"), "")
        if reason != "4":
            raise TelephonyError(
                f"agent {agent}: phone {endpoint} did not answer (reason {reason or '?'})"
            )

    async def call_agent_phone(
        self, agent: str, number: str, leg_id: str, *, caller_id: str
    ) -> OwnLineCall:
        """See the port. The answered phone hears ``[dialer-own-line]``'s prompt: the key 1
        sends the leg to ``[dialer-agent]`` (its ``DialerAgentIdle`` event confirms it),
        anything else ends it (its ``Hangup``)."""
        client = self._require_client()
        headers: dict[str, str | list[str]] = {
            "Channel": f"PJSIP/{number}@{self._trunk}",
            "Context": OWN_LINE_CONTEXT,
            "Exten": "s",
            "Priority": "1",
            "Async": "true",
            "ChannelId": leg_id,
            "Timeout": str(RING_S * 1000),
            "Variable": [f"DIALER_AGENT={agent}"],
        }
        if caller_id:
            headers["CallerID"] = caller_id
        ended = asyncio.get_running_loop().create_future()
        self._own_lines[leg_id] = ended
        try:
            replies = await client.action(
                "Originate", headers, expect_list=True, timeout_s=RING_S + 10
            )
            reason = next((r.get("Reason") for r in replies if r.name == "OriginateResponse"), "")
            if reason != "4":
                return OwnLineCall.NOT_ANSWERED
            try:
                return await asyncio.wait_for(asyncio.shield(ended), CONFIRM_S)
            except TimeoutError:
                await self.hang_up(leg_id)
                return OwnLineCall.NOT_CONFIRMED
        finally:
            self._own_lines.pop(leg_id, None)

    async def live_channels(self) -> set[str]:
        """The live channels, but an agent's own phone still asked for the key 1: not a
        line yet, so a reconciliation never adopts it (a voicemail would become one)."""
        client = self._require_client()
        replies = await client.action("CoreShowChannels", expect_list=True)
        return {
            r.get("Uniqueid")
            for r in replies
            if r.name == "CoreShowChannel" and r.get("Context") != OWN_LINE_CONTEXT
        }

    async def recorded_end(self, attempt_id: str) -> RecordedEnd | None:
        client = self._require_client()
        try:
            replies = await client.action(
                "DBGet", {"Family": ASTDB_FAMILY, "Key": attempt_id}, expect_list=True
            )
        except AmiActionError:  # "Database entry not found"
            return None
        value = next((r.get("Val") for r in replies if r.name == "DBGetResponse"), None)
        return parse_recorded_end(attempt_id, value) if value is not None else None

    async def forget_recorded_end(self, attempt_id: str) -> None:
        client = self._require_client()
        with contextlib.suppress(AmiActionError):
            await client.action("DBDel", {"Family": ASTDB_FAMILY, "Key": attempt_id})

    # ---- supervisors listening (ChanSpy) -------------------------------------------------
    async def spy_on(self, spy_id: str, endpoint: str, leg_id: str, mode: SpyMode) -> None:
        """Call the supervisor's phone into ``[dialer-spy]``, which runs ``ChanSpy`` on the
        agent's leg by its channel name (ChanSpy takes a name, the controller knows the
        leg's Uniqueid: AMI ``Getvar`` of ``CHANNEL(name)`` on it translates)."""
        client = self._require_client()
        try:
            named = await client.action("Getvar", {"Channel": leg_id, "Variable": "CHANNEL(name)"})
        except AmiTimeoutError:
            raise
        except AmiActionError as exc:
            raise TelephonyError(f"agent leg {leg_id} is gone: {exc}") from exc
        channel = named[0].get("Value")
        if not channel:
            raise TelephonyError(f"agent leg {leg_id} has no channel name")
        self._spies.add(spy_id)
        try:
            replies = await client.action(
                "Originate",
                {
                    "Channel": f"PJSIP/{endpoint}",
                    "Context": "dialer-spy",
                    "Exten": mode.value,
                    "Priority": "1",
                    "Async": "true",
                    "ChannelId": spy_id,
                    "Timeout": "20000",
                    "Variable": [f"DIALER_SPY_TARGET={channel}"],
                },
                expect_list=True,
                timeout_s=30,
            )
        except TelephonyError:
            self._spies.discard(spy_id)
            raise
        reason = next((r.get("Reason") for r in replies if r.name == "OriginateResponse"), "")
        if reason != "4":
            self._spies.discard(spy_id)
            raise TelephonyError(f"phone {endpoint} did not answer (reason {reason or '?'})")

    async def bridged_channels(self) -> set[str]:
        client = self._require_client()
        replies = await client.action("CoreShowChannels", expect_list=True)
        return {
            r.get("Uniqueid") for r in replies if r.name == "CoreShowChannel" and r.get("BridgeId")
        }

    def follow_spies(self, spy_ids: set[str]) -> None:
        self._spies |= {spy_id for spy_id in spy_ids if spy_id.startswith(SPY_PREFIX)}
        if self.logged_in:
            self._spawn(self._sweep_spies())

    async def next_spy_end(self) -> SpyEnded:
        return await self._spy_ends.get()

    async def _sweep_spies(self) -> None:
        """Listenings whose hang-up was missed (session lost meanwhile) end now."""
        if not self._spies:
            return
        try:
            alive = await self.live_channels()
        except TelephonyError as exc:
            log.info("node %s: listenings not checked: %s", self.name, exc)
            return
        for spy_id in sorted(self._spies - alive):
            self._spies.discard(spy_id)
            await self._spy_ends.put(SpyEnded(spy_id, self._clock()))

    # ---- transfers ([dialer-transfer]) ---------------------------------------------------
    async def hold_for_transfer(
        self, transfer_id: str, attempt_id: str, leg_id: str, *, person_in_room: bool
    ) -> None:
        """See :class:`~dialer.telephony.port.TransferPort`. One Redirect moves both legs
        (ExtraChannel), so neither is left alone in the call's bridge. Measured on 22.10:
        the person leaving ``Bridge()`` this way does not send the agent's leg to its
        ``F`` destination; both land where the Redirect says."""
        client = self._require_client()
        try:
            for channel in (attempt_id, leg_id):
                await client.action(
                    "Setvar",
                    {"Channel": channel, "Variable": "DIALER_TRANSFER", "Value": transfer_id},
                )
            await client.action(
                "Redirect",
                {
                    "Channel": attempt_id,
                    "Context": TRANSFER_CONTEXT,
                    "Exten": "room" if person_in_room else "hold",
                    "Priority": "1",
                    "ExtraChannel": leg_id,
                    "ExtraContext": TRANSFER_CONTEXT,
                    "ExtraExten": "room",
                    "ExtraPriority": "1",
                },
            )
        except AmiActionError as exc:
            raise TelephonyError(f"transfer {transfer_id}: the call is gone ({exc})") from exc

    async def call_third_party(
        self, transfer_id: str, number: str, *, caller_id: str, ring_timeout_s: int
    ) -> bool:
        client = self._require_client()
        headers: dict[str, str | list[str]] = {
            "Channel": f"PJSIP/{number}@{self._trunk}",
            "Context": TRANSFER_CONTEXT,
            "Exten": "third",
            "Priority": "1",
            "Async": "true",
            "ChannelId": f"{TRANSFER_PREFIX}{transfer_id}",
            "Timeout": str(ring_timeout_s * 1000),
            "Variable": [f"DIALER_TRANSFER={transfer_id}"],
        }
        if caller_id:
            headers["CallerID"] = caller_id
        try:
            replies = await client.action(
                "Originate", headers, expect_list=True, timeout_s=ring_timeout_s + 10
            )
        except AmiActionError as exc:
            log.info("node %s: transfer %s: %s", self.name, transfer_id, exc)
            return False
        reason = next((r.get("Reason") for r in replies if r.name == "OriginateResponse"), "")
        return reason == "4"

    async def person_into_room(self, transfer_id: str, attempt_id: str) -> None:
        await self._redirect(attempt_id, TRANSFER_CONTEXT, "room", "1")

    async def agent_leaves(self, leg_id: str) -> None:
        await self._redirect(leg_id, "dialer-agent", "s", "back")

    async def back_to_agent(self, attempt_id: str, leg_id: str) -> None:
        """The leg goes back to ``[dialer-agent]`` and the person to ``rejoin``, whose
        ``Bridge()`` retries while the leg is still leaving the conference."""
        client = self._require_client()
        try:
            await client.action(
                "Redirect",
                {
                    "Channel": leg_id,
                    "Context": "dialer-agent",
                    "Exten": "s",
                    "Priority": "back",
                    "ExtraChannel": attempt_id,
                    "ExtraContext": TRANSFER_CONTEXT,
                    "ExtraExten": "rejoin",
                    "ExtraPriority": "1",
                },
            )
        except AmiActionError as exc:
            raise TelephonyError(f"{attempt_id}: not brought back ({exc})") from exc

    async def held_for_transfer(self) -> dict[str, str]:
        """The channels playing ``[dialer-transfer]`` ``hold``, each with its transfer's id
        (``DIALER_TRANSFER``, set before the Redirect)."""
        return {
            channel: transfer_id
            for channel, (exten, transfer_id) in (await self.transfer_legs(("hold",))).items()
        }

    async def transfer_legs(
        self, extens: tuple[str, ...] = ("hold", "room", "third", "rejoin")
    ) -> dict[str, tuple[str, str]]:
        """The channels in ``[dialer-transfer]`` at one of ``extens``: Uniqueid → (the
        extension, the transfer's id from ``DIALER_TRANSFER``)."""
        client = self._require_client()
        replies = await client.action("CoreShowChannels", expect_list=True)
        legs = [
            (r.get("Uniqueid"), r.get("Exten"))
            for r in replies
            if r.name == "CoreShowChannel"
            and r.get("Context") == TRANSFER_CONTEXT
            and r.get("Exten") in extens
        ]
        found: dict[str, tuple[str, str]] = {}
        for channel, exten in legs:
            try:
                value = await client.action(
                    "Getvar", {"Channel": channel, "Variable": "DIALER_TRANSFER"}
                )
            except AmiActionError:  # hung up meanwhile
                continue
            found[channel] = (exten, value[0].get("Value") or "")
        return found

    async def release_person(self, attempt_id: str) -> None:
        await self._redirect(attempt_id, TRANSFER_CONTEXT, "rejoin", "released")

    async def _redirect(self, channel: str, context: str, exten: str, priority: str) -> None:
        client = self._require_client()
        try:
            await client.action(
                "Redirect",
                {"Channel": channel, "Context": context, "Exten": exten, "Priority": priority},
            )
        except AmiActionError as exc:
            raise TelephonyError(f"{channel}: not moved to {context} ({exc})") from exc

    def statistics(self) -> dict[str, int | float | str | bool]:
        return {
            "node": self.name,
            "connected": self._client is not None and self._client.connected,
            "channel_limit": self.channel_limit,
            "last_ping_ms": round(self._last_ping_ms, 2),
            "prompts_present": self._prompts_present is True,
            "listenings": len(self._spies),
            **self._stats,
        }
