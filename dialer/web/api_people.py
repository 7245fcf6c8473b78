"""One person at a time on the register, from the city's online sign-up form:
``PUT /api/v1/people/{external_id}`` adds or updates them, ``DELETE`` withdraws them.

- Checked by the importer's rules (:mod:`dialer.register.person_form`); every problem a
  422 naming the field (``{"erreur": "champ « birth_date » : …"}``).
- A PUT gives the whole person: what it leaves out is cleared (as a re-import does). It
  answers 201 when it added them, else 200 with ``change``: ``updated``, ``restored``
  (back after a withdrawal) or ``unchanged`` (the same PUT again: nothing written, nothing
  in the audit log).
- A DELETE answers 200 each time for a person the register has: the second one says
  ``changed: false`` and gives the first one's ``withdrawn_at`` (a retry after a lost
  answer is no error); 404 for an id the register never had. History is kept.
- Who may: those who may import the register (:data:`Action.REGISTER_IMPORT`), by API
  token or session; each change is in the audit log (``person.add``, ``person.update``,
  ``person.restore``, ``person.withdraw``: who, when, the fields changed, never their
  values).

- ``?list=NAME``: the list the person goes on (PUT: created if new) or leaves (DELETE: off
  the register when it was their last list); default « registre ». A bad name: 422
  naming ``list``.

The changes reach the calls at the next cycle, as an import's do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.core.permissions import Action
from dialer.core.selection import MAX_LIST_NAME, check_list_name
from dialer.register.person_form import (
    LENGTHS,
    MAX_PHONES,
    PersonForm,
    check_external_id,
    check_person_form,
)
from dialer.storage.list_rows import DEFAULT_LIST
from dialer.storage.person_data import Actor
from dialer.storage.register_entries import EntryChange, RegisterEntries
from dialer.web.access import API_PREFIX, caller
from dialer.web.api_endpoints import Area, Endpoint
from dialer.web.api_models import Body, request_body
from dialer.web.api_responses import Answer, ok
from dialer.web.read_log import route_of
from dialer.web.service import steering

#: a flag's value as the form gives it (« oui », « non », or a word: « fauteuil roulant »)
FLAG_LENGTH = 200
PHONE_LENGTH = 30


class PersonSignUp(Body):
    """A person as the city's sign-up form gives them. The importer's rules apply: the name
    and one valid number at least, a valid birth date (JJ/MM/AAAA or AAAA-MM-JJ), French
    or international numbers; no control character."""

    last_name: str = Field(max_length=LENGTHS["last_name"], description="nom (obligatoire)")
    first_name: str | None = Field(default=None, max_length=LENGTHS["first_name"])
    birth_date: str | None = Field(default=None, max_length=20, description="JJ/MM/AAAA")
    address: str | None = Field(default=None, max_length=LENGTHS["address"])
    postcode: str | None = Field(default=None, max_length=LENGTHS["postcode"])
    city: str | None = Field(default=None, max_length=LENGTHS["city"])
    district: str | None = Field(default=None, max_length=LENGTHS["district"])
    phones: list[str] = Field(
        min_length=1,
        max_length=MAX_PHONES,
        description="numéros, dans l'ordre de préférence (au moins un)",
    )
    contact_name: str | None = Field(
        default=None, max_length=LENGTHS["contact_name"], description="personne à prévenir"
    )
    contact_phone: str | None = Field(default=None, max_length=PHONE_LENGTH)
    disability: str | None = Field(
        default=None, max_length=FLAG_LENGTH, description="handicap (vide ou « non » : aucun)"
    )
    medical: str | None = Field(
        default=None,
        max_length=FLAG_LENGTH,
        description="situation médicale (vide ou « non » : aucune)",
    )


class PersonPut(Answer):
    external_id: str
    id: int = Field(description="numéro de la personne (/api/v1/persons/{id})")
    change: Literal["created", "updated", "restored", "unchanged"]
    fields: list[str] = Field(description="les champs changés (donnés, à l'ajout)")


class PersonWithdrawn(Answer):
    external_id: str
    id: int
    withdrawn_at: datetime
    changed: bool = Field(description="false : déjà retirée, par une requête précédente")


async def put_person(request: Request) -> Response:
    who = await caller(request)
    external_id = check_external_id(request.path_params["external_id"])
    data: PersonSignUp = await request_body(request, PersonSignUp)
    ops = steering(request)
    now = ops.clock()
    record = check_person_form(
        PersonForm(
            external_id=external_id,
            last_name=data.last_name,
            first_name=data.first_name or "",
            birth_date=data.birth_date or "",
            address=data.address or "",
            postcode=data.postcode or "",
            city=data.city or "",
            district=data.district or "",
            phones=data.phones,
            contact_name=data.contact_name or "",
            contact_phone=data.contact_phone or "",
            disability=data.disability or "",
            medical=data.medical or "",
        ),
        today=now.date(),
    )
    outcome = await RegisterEntries(ops.sessions).put(
        record, actor=Actor(who.actor, route_of(request)), now=now, list_name=_list_of(request)
    )
    answer = {
        "external_id": external_id,
        "id": outcome.person_id,
        "change": outcome.change.value,
        "fields": outcome.fields,
    }
    return ok(answer, 201 if outcome.change is EntryChange.CREATED else 200)


async def withdraw_person(request: Request) -> Response:
    who = await caller(request)
    external_id = check_external_id(request.path_params["external_id"])
    ops = steering(request)
    done = await RegisterEntries(ops.sessions).withdraw(
        external_id,
        actor=Actor(who.actor, route_of(request)),
        now=ops.clock(),
        list_name=_list_of(request),
    )
    return ok(
        {
            "external_id": external_id,
            "id": done.person_id,
            "withdrawn_at": done.withdrawn_at.isoformat(),
            "changed": done.changed,
        }
    )


def _list_of(request: Request) -> str:
    """The request's ``?list=`` (default: the register's list), checked."""
    return check_list_name(request.query_params.get("list", DEFAULT_LIST))


PEOPLE = Area("registre", Action.REGISTER_IMPORT, Action.REGISTER_IMPORT)
_ONE = API_PREFIX + "/people/{external_id}"


class ListQuery(Body):
    """The list the person goes on or leaves (default « registre »)."""

    list: str | None = Field(default=None, max_length=MAX_LIST_NAME, description="nom de liste")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "PUT", _ONE, put_person,
        "Inscrire ou mettre à jour une personne (formulaire d'inscription en ligne ; règles "
        "de l'import ; 201 à l'ajout, 200 sinon ; ?list= : sur cette liste)",
        Action.REGISTER_IMPORT, PEOPLE.tag, PersonPut, body=PersonSignUp, created=True,
        replaces=True, query=ListQuery,
    ),
    Endpoint(
        "DELETE", _ONE, withdraw_person,
        "Retirer une personne d'une liste (?list=, défaut « registre ») et du registre si "
        "elle n'est sur aucune autre (son historique reste ; 200 aussi si déjà retirée)",
        Action.REGISTER_IMPORT, PEOPLE.tag, PersonWithdrawn, query=ListQuery,
    ),
)  # fmt: skip
