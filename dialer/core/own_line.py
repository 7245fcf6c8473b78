"""The agent's own phone as their line (« mon téléphone »): which numbers may be one, how
the dialer's call to it ends, and how often the agent may ask to be called again.

The rule for a number: a French number of the metropolitan plan (+33) that reaches a person,
mobile, geographic or a box's 09 line. Numbers abroad (and the overseas departments, whose
calls the trunk may bill as international) are refused, and so is every number of a kind
that does not reach one person's phone: premium-rate (089x), shared-cost (081x/082x),
toll-free (080x), personal and short numbers, voicemail access. The dialer pays for these
calls and a volunteer's screen must never make it call a paid service or another country.

The call-again rule: one call at a time per agent (a click while a call to their phone is
under way is refused), and at most :data:`CALLS_PER_WINDOW` calls in :data:`CALL_WINDOW`
(a flood of clicks, or a script, cannot make the dialer ring somebody's phone over and over).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.core.phones import PhoneKind

FRANCE = "+33"
#: the kinds of French number that reach a person's own phone
PERSONAL_KINDS = frozenset({PhoneKind.MOBILE, PhoneKind.LANDLINE, PhoneKind.VOIP})
#: calls to an agent's own phone the « m'appeler » button may place within CALL_WINDOW
CALLS_PER_WINDOW = 5
CALL_WINDOW = timedelta(minutes=10)
#: the dialplan's wait for the key 1, per try (it says the prompt, then waits), and tries
KEY_WAIT_S = 6
KEY_TRIES = 2
#: how long the agent's phone may ring before the dialer gives up
RING_S = 30
#: the controller's own bound on the answer → key 1 wait: the dialplan's prompt and its
#: waits, with room (the dialplan hangs up first; this only covers a lost event)
CONFIRM_S = 45


class OwnLineRefusal(StrEnum):
    """Why a number may not be an agent's own line."""

    ABROAD = "abroad"
    NOT_PERSONAL = "not_personal"


class OwnLineCall(StrEnum):
    """How the dialer's call to an agent's own phone ended."""

    CONFIRMED = "confirmed"  # answered, 1 pressed: the agent's leg waits for calls
    NOT_CONFIRMED = "not_confirmed"  # answered, no 1 (a voicemail, or nobody pressed it)
    NOT_ANSWERED = "not_answered"  # busy, no answer, unreachable


def own_line_refusal(e164: str, kind: PhoneKind) -> OwnLineRefusal | None:
    """Why the valid number ``e164`` (of kind ``kind``) may not be an agent's line, or None."""
    if not e164.startswith(FRANCE) or len(e164) != len(FRANCE) + 9:
        return OwnLineRefusal.ABROAD
    if kind not in PERSONAL_KINDS:
        return OwnLineRefusal.NOT_PERSONAL
    return None


def may_call_again(recent: Sequence[datetime], now: datetime) -> bool:
    """Whether the dialer may call an agent's phone now, given the times of its recent
    calls to it (see the module)."""
    since = now - CALL_WINDOW
    return sum(1 for at in recent if at > since) < CALLS_PER_WINDOW
