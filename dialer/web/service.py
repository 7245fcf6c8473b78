"""What every request handler of the web service reaches through ``app.state.web``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.templating import Jinja2Templates

from dialer.alerts.dispatcher import AlertDispatcher
from dialer.campaigns.control import CampaignControl
from dialer.campaigns.episodes import EpisodeControl
from dialer.core.permissions import Action, allowed
from dialer.desk.call_sheets import CallSheets
from dialer.desk.operations import Steering
from dialer.desk.port import AgentDesk
from dialer.errors import ConflictError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage.accounts import AccountRepository
from dialer.storage.alerts import AlertRepository, TeamRepository
from dialer.storage.database import SessionFactory
from dialer.storage.never_reached import NeverReachedRepository
from dialer.web.auth import (
    Authenticator,
    User,
    check_csrf,
    form_csrf,
    session_token,
)
from dialer.web.failures import LoginRequired
from dialer.web.screens import AgentScreens
from dialer.web.sip import SipAccess


@dataclass
class WebService:
    sessions: SessionFactory
    desk: AgentDesk | None
    questionnaires: QuestionnaireCatalog
    clock: Callable[[], datetime]
    zone: ZoneInfo
    auth: Authenticator
    screens: AgentScreens
    sheets: CallSheets
    accounts: AccountRepository
    teams: TeamRepository
    alerts: AlertRepository
    never_reached: NeverReachedRepository
    templates: Jinja2Templates
    sip: SipAccess | None
    dispatcher: AlertDispatcher | None


def web(connection: HTTPConnection) -> WebService:
    service: WebService = connection.app.state.web
    return service


def steering(connection: HTTPConnection) -> Steering:
    """The steering operations' state (see :mod:`dialer.desk.operations`)."""
    value: Steering = connection.app.state.steering
    return value


def campaign_control(connection: HTTPConnection) -> CampaignControl:
    control = steering(connection).control
    if control is None:
        raise ConflictError("le moteur d'appels ne tourne pas : lancez « dialer serve »")
    return control


def episode_control(connection: HTTPConnection) -> EpisodeControl:
    episodes = steering(connection).episodes
    if episodes is None:
        raise ConflictError("le moteur d'appels ne tourne pas : lancez « dialer serve »")
    return episodes


async def authenticated(connection: HTTPConnection, action: Action | None = None) -> User:
    """The logged-in user (:class:`LoginRequired` otherwise; looked up once per request),
    checked against ``action`` when given (403 for a role the permission table does not
    allow). A route's own rule is checked before its handler runs
    (:mod:`dialer.web.access`)."""
    user: User | None = getattr(connection.state, "user", None)
    if user is None:
        user = await web(connection).auth.user_for(session_token(connection))
        if user is None:
            raise LoginRequired
        connection.state.user = user
    if action is not None and not allowed(user.role, action):
        raise HTTPException(403, "Cette page n'est pas accessible avec votre rôle.")
    return user


async def for_form(request: Request) -> User:
    """A form post: logged in, hidden ``csrf`` field."""
    user = await authenticated(request)
    try:
        check_csrf(user, await form_csrf(request))
    except HTTPException:
        await request.close()  # a refused form's uploaded files are closed, not left open
        raise
    return user
