"""Who a veille-sociale household may be assigned to, and what the assignment means
(pure; ``today`` passed in).

A coordinator assigns a household of a veille-sociale campaign to one account; from then
it is offered to that account only (:func:`dialer.core.volunteer_desk.offered_to`):

- a **trained, active volunteer**: they call it (continuity: the same volunteer again);
- a **supervisor** (the coordinator): a **take-over**. The volunteers stop calling the
  household and the coordinator follows it up themselves, outside the volunteers' calls
  (a supervisor has no agent's desk and never takes a call). At the cycle's close the
  household ends « suivi par le coordinateur » (:data:`CycleResult.TAKEN_OVER
  <dialer.core.attempts.CycleResult>`), not « never reached »;
- anyone else is refused, with a French reason naming the field: an untrained volunteer
  (or one whose training is dated in the future), a deactivated account, another role.

An assignment made while it was right may go wrong later (the volunteer deactivated, their
training removed, the coordinator's account deactivated): the household is then offered to
nobody. :func:`assignee_state` says so, and the coordinators' activity page lists these
households as stuck, for the coordinator to assign them again.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from dialer.core.roles import Role
from dialer.core.volunteers import desk_refusal


class AssigneeState(StrEnum):
    """What a household assigned to an account gets from that account."""

    CALLS = "calls"  # a trained, active volunteer calls it
    TAKEN_OVER = "taken_over"  # its coordinator took it over: no volunteer's call
    STUCK = "stuck"  # the account can take neither calls nor the household: nobody


def why_stuck(role: Role, *, active: bool, trained_on: date | None, today: date) -> str | None:
    """Why a household assigned to the account is offered to nobody (French), or ``None``
    when the account calls it or took it over."""
    if not active:
        return "compte désactivé"
    if role is Role.SUPERVISOR:
        return None
    if role is not Role.VOLUNTEER:
        return "ce compte n'est pas un bénévole"
    if trained_on is None:
        return "formation de bénévole non enregistrée"
    if desk_refusal(trained_on=trained_on, today=today) is not None:
        return f"formation de bénévole prévue le {trained_on:%d/%m/%Y}"
    return None


def assignee_state(
    role: Role, *, active: bool, trained_on: date | None, today: date
) -> AssigneeState:
    """What the account (``role``, ``active``, its volunteer training date) does with a
    household assigned to it."""
    if why_stuck(role, active=active, trained_on=trained_on, today=today) is not None:
        return AssigneeState.STUCK
    if role is Role.SUPERVISOR:
        return AssigneeState.TAKEN_OVER
    return AssigneeState.CALLS


def assignment_refusal(
    account: str, role: Role | None, *, active: bool, trained_on: date | None, today: date
) -> str | None:
    """Why the household may not be assigned to ``account`` (French, naming the field
    « volunteer »), or ``None``. ``role`` None: no such account."""
    name = account[:50]
    if role is None or role not in (Role.VOLUNTEER, Role.SUPERVISOR):
        return f"champ « volunteer » : « {name} » n'est pas un bénévole ou un superviseur"
    why = why_stuck(role, active=active, trained_on=trained_on, today=today)
    if why is None:
        return None
    return f"champ « volunteer » : « {name} » ne peut pas prendre ce foyer ({why})"
