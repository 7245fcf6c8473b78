"""The volunteer's desk (veille sociale): which volunteer a household is offered to, what
a volunteer sees of the call, and their debriefs. Pure.

A household of a veille-sociale campaign is offered only to the volunteer it is assigned
to (by a coordinator, who may also take it over); when nobody is assigned, the volunteer
who last talked to the household gets it again (continuity, while they are still a
trained, active volunteer); else any trained volunteer serving the campaign. A volunteer
is never offered anybody of another kind of campaign (an emergency campaign's people).
The SQL mirror the claims apply is :func:`dialer.storage.household_rows.offered_to_taker`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dialer.core.campaigns import CampaignKind
from dialer.core.permissions import may_take_calls_of
from dialer.core.roles import Role
from dialer.errors import InputError

#: a debrief or an answer is a few paragraphs, not a file
MAX_TEXT = 4000


def offered_to(
    taker: str,
    *,
    taker_role: Role,
    kind: CampaignKind,
    assigned_to: str | None,
    last_volunteer: str | None,
) -> bool:
    """May the household be offered to ``taker``? ``assigned_to``: the account the
    household is assigned to in this campaign; ``last_volunteer``: the trained, active
    volunteer who last talked to it (continuity)."""
    if not may_take_calls_of(taker_role, kind):
        return False
    if kind is not CampaignKind.VEILLE_SOCIALE:
        return True
    if assigned_to is not None:
        return taker == assigned_to
    return last_volunteer is None or taker == last_volunteer


def checked_text(text: object, *, field: str, required: bool = True) -> str:
    """A debrief's or an answer's text, stripped; :class:`InputError` naming ``field``."""
    if not isinstance(text, str):
        raise InputError(f"champ « {field} » : un texte est attendu")
    value = text.strip()
    if required and not value:
        raise InputError(f"champ « {field} » : obligatoire")
    if len(value) > MAX_TEXT:
        raise InputError(f"champ « {field} » : {MAX_TEXT} caractères au plus")
    return value


def volunteer_view(
    view: Mapping[str, Any], debriefs: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """What a volunteer sees of a call (the agent screen's ``view``, cut down): the
    household's first name, name and the number called, the questionnaire and the sheet,
    and this household's previous debriefs; no birth date, address, health flags, scores
    nor earlier answers, and nobody else (not the other holders of a shared line)."""
    person = view["person"]
    number = view["number"]
    return dict(view) | {
        "person": {
            "id": person["id"],
            "first_name": person["first_name"],
            "last_name": person["last_name"],
            "name": person["name"],
            "birth_date": None,
            "age": None,
            "address": None,
            "postcode": None,
            "city": None,
            "district": None,
            "phones": [p for p in person["phones"] if p["e164"] == number][:1],
            "contact": None,
            "flags": [],
        },
        "history": {"attempts": [], "sheets": []},
        #: nobody else: not the other people of the register on a shared line
        "line_holders": [],
        "debriefs": [dict(d) for d in debriefs],
    }


#: a campaign id no campaign has: a volunteer serving only it serves nothing (an empty
#: serving would mean « every campaign », :func:`dialer.core.serving.serves`)
NO_CAMPAIGN = 0


def volunteers_serving(
    serving: Mapping[str, Mapping[int, int]],
    volunteers: Sequence[str],
    veille_campaigns: Sequence[int],
) -> dict[str, dict[int, int]]:
    """The campaigns each agent serves (campaign → priority), volunteers cut down to the
    veille-sociale campaigns: those stored for them, or all of them when none is stored;
    never « every campaign », so no emergency call is ever joined or offered to them."""
    result = {agent: dict(served) for agent, served in serving.items()}
    veille = set(veille_campaigns)
    for volunteer in volunteers:
        mine = {c: p for c, p in serving.get(volunteer, {}).items() if c in veille}
        result[volunteer] = (mine or dict.fromkeys(sorted(veille), 1)) | {NO_CAMPAIGN: 1}
    return result
