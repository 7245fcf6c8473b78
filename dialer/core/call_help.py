"""Help during a call, as rules: when an agent may raise « besoin d'aide », and when a
supervisor may listen to, whisper to or join (barge) an agent's call.

Pure functions of the agent's seat (state, call, phone leg); the web service and
:mod:`dialer.desk.call_help` act on their answers. The listening modes map to Asterisk's
``ChanSpy`` options in the dialplan (``[dialer-spy]``): listen ``q`` (quiet), whisper ``w``
(the supervisor talks to the agent only), barge ``B`` (to both sides of the call).
"""

from __future__ import annotations

from enum import StrEnum

from dialer.core.agent_states import AgentState


class SpyMode(StrEnum):
    """How a supervisor joins an agent's call (the dialplan's extension in ``[dialer-spy]``)."""

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


#: the agent states in which « besoin d'aide » concerns a call: on it, or right after
#: (its wrap-up), so the supervisors see which call it is about
HELP_STATES = frozenset({AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP})


def help_refusal(state: AgentState, attempt_id: str | None) -> str | None:
    """Why an agent may not raise « besoin d'aide » now, or ``None``."""
    if state not in HELP_STATES or attempt_id is None:
        return "vous n'êtes pas en appel : la demande d'aide concerne un appel"
    return None


def spy_refusal(state: AgentState, leg_id: str | None) -> str | None:
    """Why a supervisor may not listen to this agent now, or ``None``: the agent must be on
    a call, with their phone line up."""
    if leg_id is None or state is AgentState.LOGGED_OUT:
        return "le téléphone de cet agent n'est pas connecté"
    if state is not AgentState.ON_CALL:
        return "cet agent n'est pas en appel"
    return None
