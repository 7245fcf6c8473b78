"""The agent's choices on a call coming in, in the versioned API:

- on a shared line, who of the register's people is on the phone, and for a number on no
  register the person found (``POST /api/v1/agent/calls/{attempt_id}/person``): the call,
  its contact and its sheet become that person's, the others are untouched;
- for a number on no register, a search of the campaign's register (``GET
  …/register?q=``: a name, a postcode or a number; a few results, a few searches a
  minute) and a note about who called (``POST …/caller-note``), which the supervisors
  read (``GET /api/v1/inbound-notes``).

Only the agent on the call may (:data:`dialer.core.permissions.Action.INBOUND_ATTACH`);
the engine behind is :mod:`dialer.engine.inbound_choices`."""

from __future__ import annotations

from collections import deque
from datetime import datetime

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from dialer.alerts.messages import age_on
from dialer.core.inbound_search import MAX_RESULTS, read_note, read_search, search_wait_s
from dialer.core.permissions import Action
from dialer.desk.port import InboundChoices
from dialer.engine.inbound_choices import InboundCaller
from dialer.errors import ConflictError, TooManyAttemptsError
from dialer.storage.inbound_notes import InboundNotes, NoteWritten
from dialer.web.access import GuardedRoute, caller
from dialer.web.api_agent_responses import CallView
from dialer.web.api_models import request_body
from dialer.web.api_responses import Answer, checked
from dialer.web.openapi import described_by
from dialer.web.read_log import record_read
from dialer.web.service import web


class PersonChosen(BaseModel):
    """The person of the register the agent says is on the phone."""

    person_id: int = Field(gt=0, lt=2**31, description="l'identifiant de la personne choisie")


class RegisterQuery(BaseModel):
    q: str = Field(
        max_length=60, description="un nom (3 lettres au moins), un code postal ou un numéro"
    )


class CallerNoteGiven(BaseModel):
    note: str = Field(max_length=5000, description="qui a appelé, pour qui, pourquoi")


class FoundPerson(Answer):
    """Une personne du registre trouvée (ce qu'il faut pour la reconnaître, rien de plus)."""

    id: int
    name: str
    age: int | None
    postcode: str | None


class RegisterFound(Answer):
    people: list[FoundPerson]
    more: bool = Field(description="d'autres personnes correspondent : précisez la recherche")


class CallerNote(Answer):
    """Ce qu'un agent a noté de qui a appelé d'un numéro inconnu."""

    attempt_id: str
    caller: str
    cycle_id: int | None
    agent: str
    note: str
    person_id: int | None = Field(description="la personne trouvée ensuite, s'il y en a une")
    created_at: datetime
    updated_at: datetime


class CallerNotes(Answer):
    notes: list[CallerNote]


def _note_json(note: NoteWritten) -> dict[str, object]:
    return {
        **note.__dict__,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


def _choices(request: Request) -> InboundChoices:
    desk = web(request).desk
    if not isinstance(desk, InboundChoices):
        raise ConflictError("aucune campagne n'est en cours : la téléphonie n'est pas active")
    return desk


@described_by(CallView, body=PersonChosen)
async def choose_person(request: Request) -> Response:
    """Ligne partagée : dire quelle personne du registre est au téléphone ; l'appel (son
    contact, sa fiche) devient le sien, les autres ne sont pas touchées (agent ;
    consultation journalisée)."""
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    service.sheets.check_current(service.desk, user.username, attempt_id)
    chosen = await request_body(request, PersonChosen)
    await _choices(request).attach_inbound(user.username, attempt_id, chosen.person_id)
    await InboundNotes(service.sessions).attached(attempt_id, chosen.person_id)
    service.screens.forget(user.username, attempt_id)  # the payload kept was the other's
    view = await service.sheets.views.view(attempt_id, agent=user.username)
    await record_read(
        request,
        actor=user.actor,
        action="read.call",
        target=f"attempt:{attempt_id}",
        person_id=view["person"]["id"],
        details={"shared_line_choice": True},
    )
    return checked(CallView, view)


def _unknown_caller(request: Request, agent: str, attempt_id: str) -> InboundCaller:
    service = web(request)
    service.sheets.check_current(service.desk, agent, attempt_id)
    caller = _choices(request).inbound_caller(agent, attempt_id)
    if caller.person_id is not None:
        raise ConflictError("cet appel est déjà celui d'une personne du registre")
    return caller


def _searches(request: Request, agent: str) -> deque[datetime]:
    state = request.app.state
    searches: dict[str, deque[datetime]] | None = getattr(state, "register_searches", None)
    if searches is None:
        searches = state.register_searches = {}
    return searches.setdefault(agent, deque(maxlen=50))


@described_by(RegisterFound, query=RegisterQuery)
async def search_register(request: Request) -> Response:
    """Numéro inconnu : chercher dans le registre de la campagne la personne dont parle
    l'appelant, par nom, code postal ou numéro (quelques résultats ; quelques recherches
    par minute) (agent ; consultation journalisée)."""
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    call = _unknown_caller(request, user.username, attempt_id)
    search = read_search(request.query_params.get("q", ""))
    now = service.clock()
    done = _searches(request, user.username)
    wait = search_wait_s(done, now)
    if wait:
        raise TooManyAttemptsError(
            f"trop de recherches : réessayez dans {wait} s, ou précisez la recherche",
            retry_after_s=wait,
        )
    done.append(now)
    people = await InboundNotes(service.sessions).search(call.cycle_id, search, at=now)
    today = now.astimezone(service.zone).date()
    await record_read(
        request,
        actor=user.actor,
        action="read.register_search",
        target=f"attempt:{attempt_id}",
        details={"found": len(people)},
    )
    return checked(
        RegisterFound,
        {
            "people": [
                {
                    "id": p.id,
                    "name": " ".join(x for x in (p.first_name, p.last_name.upper()) if x),
                    "age": age_on(p.birth_date, today),
                    "postcode": p.postcode,
                }
                for p in people
            ],
            "more": len(people) >= MAX_RESULTS,
        },
    )


@described_by(CallerNote, body=CallerNoteGiven)
async def note_caller(request: Request) -> Response:
    """Numéro inconnu : noter qui a appelé (un proche, un voisin…), pour qui et pourquoi ;
    la note est gardée avec l'appel et lue par les superviseurs (agent)."""
    user = await caller(request)
    service = web(request)
    attempt_id = request.path_params["attempt_id"]
    call = _unknown_caller(request, user.username, attempt_id)
    note = read_note((await request_body(request, CallerNoteGiven)).note)
    written = await InboundNotes(service.sessions).write(
        attempt_id,
        caller=call.number,
        cycle_id=call.cycle_id or None,
        agent=user.username,
        note=note,
        at=service.clock(),
    )
    return checked(CallerNote, _note_json(written))


@described_by(CallerNotes)
async def caller_notes(request: Request) -> Response:
    """Les appels reçus de numéros inconnus : ce que les agents ont noté de qui appelait,
    les plus récents d'abord (superviseurs)."""
    user = await caller(request)
    notes = await InboundNotes(web(request).sessions).recent()
    await record_notes_read(request, user.actor, notes)
    return checked(CallerNotes, {"notes": [_note_json(n) for n in notes]})


async def record_notes_read(request: Request, actor: str, notes: list[NoteWritten]) -> None:
    """The read of the callers' notes (personal data: who called, about whom), in the audit
    log as every read of personal data: the calls and the persons they name (none shown:
    nothing read, nothing recorded)."""
    if not notes:
        return
    await record_read(
        request,
        actor=actor,
        action="read.caller_notes",
        target="inbound_notes:recent",
        details={
            "calls": [note.attempt_id for note in notes],
            "persons": sorted({n.person_id for n in notes if n.person_id is not None}),
        },
    )


ROUTES = [
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/register",
        search_register,
        rule=Action.INBOUND_ATTACH,
        methods=["GET"],
    ),
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/caller-note",
        note_caller,
        rule=Action.INBOUND_ATTACH,
        methods=["POST"],
    ),
    GuardedRoute(
        "/api/v1/inbound-notes", caller_notes, rule=Action.SUPERVISION_VIEW, methods=["GET"]
    ),
    GuardedRoute(
        "/api/v1/agent/calls/{attempt_id}/person",
        choose_person,
        rule=Action.INBOUND_ATTACH,
        methods=["POST"],
    ),
]
