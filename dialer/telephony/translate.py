"""AMI messages to telephony events: a pure function, tested with recorded AMI streams."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.core.outcomes import parse_int
from dialer.core.reconciliation import RecordedEnd
from dialer.telephony.events import AmiMessage
from dialer.telephony.port import (
    AGENT_LEG_PREFIX,
    SPY_PREFIX,
    TRANSFER_PREFIX,
    AgentLegEnded,
    AgentLegIdle,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallInbound,
    CallJoined,
    CallLeftBridge,
    CallMachine,
    CallRinging,
    InboundUnanswered,
    TelephonyEvent,
)

RINGING_STATE = "5"  # ChannelState 5 = Ringing (remote end is ringing)

#: The AMI events the controller reads; manager.conf lets only these through (Asterisk
#: filters by name before writing). OriginateResponse answers an ``Async`` Originate;
#: the security events tell a failed registration (agents' accounts are exposed).
AMI_EVENTS: tuple[str, ...] = (
    "UserEvent",
    "Hangup",
    "Newstate",
    "BridgeEnter",
    "BridgeLeave",
    "OriginateResponse",
    "FullyBooted",
    "Shutdown",
    "Reload",
    "ChallengeResponseFailed",
    "InvalidPassword",
    "InvalidAccountID",
    "FailedACL",
)


def event_time(message: AmiMessage, fallback: datetime) -> datetime:
    """Asterisk's ``Timestamp:`` (epoch seconds, microseconds) as an aware UTC time."""
    stamp = message.get("Timestamp")
    if stamp:
        try:
            return datetime.fromtimestamp(float(stamp), tz=UTC)
        except ValueError:
            pass
    return fallback


def translate(message: AmiMessage, *, received_at: datetime) -> TelephonyEvent | None:
    """The telephony event an AMI event means, or None when it means nothing to us."""
    name = message.name
    at = event_time(message, received_at)
    uniqueid = message.get("Uniqueid")
    if uniqueid.startswith(SPY_PREFIX):
        return None  # a supervisor listening: the node reports its end (SpyEnded)
    if uniqueid.startswith(TRANSFER_PREFIX):
        return None  # a transfer's third party: the transfers service follows it
    is_agent_leg = uniqueid.startswith(AGENT_LEG_PREFIX)
    if name == "UserEvent":
        return _user_event(message, at)
    if name == "Hangup":
        cause = parse_int(message.get("Cause"))
        if is_agent_leg:
            return AgentLegEnded(agent_of_leg(uniqueid), uniqueid, cause, at)
        return CallEnded(uniqueid, cause, parse_int(message.get("TechCause")), at)
    if name == "Newstate" and not is_agent_leg and message.get("ChannelState") == RINGING_STATE:
        return CallRinging(uniqueid, at)
    if name == "BridgeEnter" and not is_agent_leg:
        return CallJoined(uniqueid, message.get("BridgeUniqueid"), at)
    if name == "BridgeLeave" and not is_agent_leg:
        return CallLeftBridge(uniqueid, message.get("BridgeUniqueid"), at)
    return None


def _user_event(message: AmiMessage, at: datetime) -> TelephonyEvent | None:
    kind = message.get("UserEvent")
    attempt = message.get("Attempt")
    if kind == "DialerAnswered":
        return CallAnswered(attempt, at)
    if kind == "DialerAbandoned":
        return CallAbandoned(attempt, at)
    if kind == "DialerMachine":
        return CallMachine(attempt, at)
    if kind == "DialerInbound":
        return CallInbound(attempt, message.get("Caller"), at)
    if kind == "DialerInboundUnanswered":
        return InboundUnanswered(attempt, message.get("Caller"), at)
    if kind == "DialerAgentIdle":
        return AgentLegIdle(message.get("Agent"), message.get("Uniqueid"), at)
    return None


def agent_of_leg(leg_id: str) -> str:
    """``agentleg-<agent>-<n>`` → ``<agent>``."""
    return leg_id.removeprefix(AGENT_LEG_PREFIX).rsplit("-", 1)[0]


def agent_leg_id(agent: str, serial: int) -> str:
    return f"{AGENT_LEG_PREFIX}{agent}-{serial}"


def parse_recorded_end(attempt_id: str, value: str) -> RecordedEnd:
    """The hangup handler's AstDB value ``cause|tech|state|dialer_state|epoch``.

    ``tech`` is Asterisk's text (``SIP 486 Busy Here``); a ``SIP 180``/``183`` there means
    the callee never gave a final answer (Asterisk gave up at the ring timeout)."""
    parts = (value.split("|") + [""] * 5)[:5]
    cause, tech, state, dialer_state, epoch = parts
    tech_words = tech.split()
    sip = parse_int(tech_words[1]) if len(tech_words) > 1 and tech_words[0] == "SIP" else None
    ended = parse_int(epoch)
    return RecordedEnd(
        attempt_id=attempt_id,
        cause=parse_int(cause),
        tech_cause=sip,
        channel_state=state,
        dialer_state=dialer_state,
        ended_at=datetime.fromtimestamp(ended, tz=UTC) if ended is not None else None,
    )
