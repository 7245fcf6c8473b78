"""Transfers during a call, as rules: which numbers an agent may hand a person to, and the
transfer's state machine (:data:`TRANSITIONS`).

An agent on a call hands the person to a third party (the 15, the 112, the 3919, a relative
on the record, a team's duty phone): *warm* (the agent talks to the third party first while
the person waits on hold, then joins the three or leaves the person with the third party)
or as a three-way *conference* at once. The person is never left alone: while the agent is
in the transfer, a third party who does not answer or hangs up brings the person back to
the agent. Pure functions; :mod:`dialer.desk.transfers` acts on their answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dialer.core.agent_states import AgentState


class TransferKind(StrEnum):
    WARM = "warm"
    CONFERENCE = "conference"


class TransferState(StrEnum):
    #: the third party's phone rings (warm: the person on hold; conference: with the agent)
    CALLING = "calling"
    #: warm: the agent talks to the third party, the person on hold
    CONSULTING = "consulting"
    #: the three talk together
    CONFERENCE = "conference"
    #: the agent left: the person talks with the third party (final for the agent)
    HANDED_OVER = "handed_over"
    #: over: the person back with the agent, or the call ended
    ENDED = "ended"


class TransferEvent(StrEnum):
    THIRD_ANSWERED = "third_answered"
    #: the third party did not answer, or hung up, while the agent was there
    THIRD_GONE = "third_gone"
    #: warm: the agent brings the person into the conversation
    AGENT_JOINS = "agent_joins"
    #: the agent leaves the person with the third party
    AGENT_LEAVES = "agent_leaves"
    #: the agent takes the person back (the third party is hung up)
    AGENT_CANCELS = "agent_cancels"
    #: the person's call ended
    PERSON_GONE = "person_gone"
    #: the agent's phone leg ended (softphone closed, network lost) during the transfer
    AGENT_GONE = "agent_gone"


class TransferOutcome(StrEnum):
    """How a transfer ended, as the audit records it."""

    #: the person stayed with the third party, the agent left
    HANDED_OVER = "handed_over"
    #: the third party did not answer: the person is back with the agent
    NOT_ANSWERED = "not_answered"
    #: the third party hung up while the agent was there: the person is back with the agent
    THIRD_HUNG_UP = "third_hung_up"
    #: the agent took the person back
    CANCELLED = "cancelled"
    #: the person hung up
    PERSON_HUNG_UP = "person_hung_up"
    #: the telephony refused a step (the person is back with the agent when possible)
    FAILED = "failed"
    #: the agent's leg ended before the third party answered: the person, taken off hold,
    #: hears the information message (the lost agent's path: the call-back rules apply)
    AGENT_LOST = "agent_lost"
    #: the agent's leg ended after the third party answered: the person was put with them
    AGENT_LOST_HANDED_OVER = "agent_lost_handed_over"


_LIVE = (TransferState.CALLING, TransferState.CONSULTING, TransferState.CONFERENCE)

#: (state, event) → next state; a pair not listed is refused (:func:`decide`)
TRANSITIONS: Mapping[tuple[TransferState, TransferEvent], TransferState] = {
    (TransferState.CALLING, TransferEvent.THIRD_ANSWERED): TransferState.CONSULTING,
    (TransferState.CONSULTING, TransferEvent.AGENT_JOINS): TransferState.CONFERENCE,
    (TransferState.CONSULTING, TransferEvent.AGENT_LEAVES): TransferState.HANDED_OVER,
    (TransferState.CONFERENCE, TransferEvent.AGENT_LEAVES): TransferState.HANDED_OVER,
    # the agent's leg lost: to the third party if they answered, else off hold and released
    (TransferState.CALLING, TransferEvent.AGENT_GONE): TransferState.ENDED,
    (TransferState.CONSULTING, TransferEvent.AGENT_GONE): TransferState.HANDED_OVER,
    (TransferState.CONFERENCE, TransferEvent.AGENT_GONE): TransferState.HANDED_OVER,
    **{(state, TransferEvent.THIRD_GONE): TransferState.ENDED for state in _LIVE},
    **{(state, TransferEvent.AGENT_CANCELS): TransferState.ENDED for state in _LIVE},
    **{(state, TransferEvent.PERSON_GONE): TransferState.ENDED for state in _LIVE},
    (TransferState.HANDED_OVER, TransferEvent.PERSON_GONE): TransferState.ENDED,
    (TransferState.HANDED_OVER, TransferEvent.THIRD_GONE): TransferState.ENDED,
}


#: a transfer found in its conference by a restarted controller (it lived in memory), by
#: (the agent's leg in the conference, the ledger's ``left`` step): the state it is followed
#: in again, and whether the agent was lost (the outcome says so). The watch then ends it
#: as the transitions say: a side gone brings the person back, or hangs up who is alone.
FOUND_AFTER_RESTART: Mapping[tuple[bool, bool], tuple[TransferState, bool]] = {
    (True, False): (TransferState.CONFERENCE, False),
    (True, True): (TransferState.CONFERENCE, False),  # back in: the leg is what counts
    (False, True): (TransferState.HANDED_OVER, False),
    (False, False): (TransferState.HANDED_OVER, True),
}


def found_after_restart(
    *, agent_in_room: bool, steps: tuple[str, ...]
) -> tuple[TransferState, bool]:
    """The state a transfer found in its conference after a restart is followed in, and
    whether its agent was lost (:data:`FOUND_AFTER_RESTART`)."""
    return FOUND_AFTER_RESTART[(agent_in_room, "left" in steps)]


#: the agent's steps refused in a state, and why (French, for the screen)
_REFUSALS: Mapping[TransferState, str] = {
    TransferState.CALLING: "impossible maintenant : le tiers n'a pas encore répondu",
    TransferState.HANDED_OVER: "vous avez déjà quitté l'appel : le transfert est fait",
    TransferState.ENDED: "le transfert est terminé",
}


#: a second request on a transfer while one of its steps runs (double click, two tabs)
STEP_BUSY = "une autre action sur ce transfert est en cours : réessayez dans un instant"


@dataclass(frozen=True)
class Refusal:
    """A step the state machine refuses, with the reason shown to the agent."""

    reason: str


def decide(
    state: TransferState, event: TransferEvent, kind: TransferKind
) -> TransferState | Refusal:
    """The state machine: the state after ``event``, or why it does not apply now. The
    third party's answer leads a conference straight to the three together."""
    after = TRANSITIONS.get((state, event))
    if after is None:
        return Refusal(_REFUSALS.get(state, "impossible à cette étape du transfert"))
    if event is TransferEvent.THIRD_ANSWERED:
        return answered_state(kind)
    return after


def answered_state(kind: TransferKind) -> TransferState:
    """Where a transfer goes when the third party answers: warm, the agent consults them
    first; a conference has the three together at once."""
    return TransferState.CONSULTING if kind is TransferKind.WARM else TransferState.CONFERENCE


@dataclass(frozen=True)
class TransferTarget:
    """A number offered on the agent's screen."""

    label: str
    number: str


#: what a number typed by the agent may be: a French service (2 to 4 digits, « 15 »,
#: « 3919 »), a national number (10 digits from 0) or an international one (+ and 8 to 15
#: digits); spaces, dots and dashes are ignored
_SHORT = re.compile(r"[1-9][0-9]{1,3}")
_NATIONAL = re.compile(r"0[1-9][0-9]{8}")
_INTERNATIONAL = re.compile(r"\+[1-9][0-9]{7,14}")


def dialable(number: str) -> str | None:
    """``number`` as it is dialled (separators removed), or ``None`` when it is none of
    the forms above."""
    compact = re.sub(r"[ .\-]", "", number.strip())
    if any(form.fullmatch(compact) for form in (_SHORT, _NATIONAL, _INTERNATIONAL)):
        return compact
    return None


def offered_targets(
    configured: Mapping[str, str],
    *,
    contact_phone: str | None,
    contact_name: str | None = None,
    duty: tuple[str, str] | None = None,
) -> list[TransferTarget]:
    """The numbers offered for this call: the settings' (services, duty phones), the
    relative on the person's record, and the duty phone of the team covering the person's
    district (``duty``: the team's name and phone), each number once."""
    targets = [TransferTarget(label, number) for label, number in configured.items()]
    if contact_phone:
        targets.append(
            TransferTarget(f"Proche : {contact_name or 'fiche de la personne'}", contact_phone)
        )
    if duty is not None and all(t.number != duty[1] for t in targets):
        targets.append(TransferTarget(f"Astreinte : {duty[0]}", duty[1]))
    return targets


def target_refusal(number: str, offered: list[TransferTarget], *, free_numbers: bool) -> str | None:
    """Why the agent may not transfer to ``number``, or ``None``: it must be one offered,
    or any valid number when the settings allow free numbers."""
    if any(target.number == number for target in offered):
        return None
    if not free_numbers:
        return "ce numéro ne fait pas partie des numéros de transfert proposés"
    if dialable(number) is None:
        return (
            "numéro invalide : un service (15, 112, 3919), un numéro à 10 chiffres ou "
            "international (+33…)"
        )
    return None


def transfer_refusal(state: AgentState, leg_id: str | None, busy: bool) -> str | None:
    """Why the agent may not start a transfer now, or ``None``: on a call, with their phone
    line up, and no transfer already under way."""
    if leg_id is None or state is not AgentState.ON_CALL:
        return "vous n'êtes pas en communication : le transfert concerne un appel en cours"
    if busy:
        return "un transfert est déjà en cours pour cet appel"
    return None
