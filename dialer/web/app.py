"""The web service's application factory.

Starlette rather than FastAPI: the screens are server-rendered Jinja2 pages plus a handful
of small JSON endpoints and one WebSocket; Starlette gives exactly that (routing,
templates, static files, WebSockets, TestClient) with fewer layers, no pydantic models to
keep in step with the domain, and types that pass ``mypy --strict``.

Wiring (``dialer serve``, the campaign runner)::

    screens = build_screens(sessions, questionnaires, clock=utcnow)   # before the engine
    engine = DialingEngine(..., screens=screens)
    app = create_app(sessions=sessions, engine=engine, questionnaires=questionnaires,
                     secret_key=..., clock=utcnow, screens=screens,
                     alerts=AlertRaiser(sessions, clock=utcnow, dispatcher=dispatcher),
                     dispatcher=dispatcher, sip=SipAccess(host="sip.ville.fr"))
    uvicorn.run(app, ...)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dialer.alerts.dispatcher import AlertDispatcher
from dialer.alerts.messages import need_label
from dialer.alerts.raising import AlertRaiser
from dialer.campaigns.control import CampaignControl
from dialer.campaigns.episodes import EpisodeControl
from dialer.campaigns.plans import PlanControl
from dialer.clock import utcnow
from dialer.core.labels import campaign_state_label
from dialer.core.login_limits import LoginRates
from dialer.core.wallboard import DEFAULT_THRESHOLDS, Thresholds
from dialer.core.windows import PARIS
from dialer.desk.call_sheets import CallSheets
from dialer.desk.call_view import CallViews, phone_display
from dialer.desk.operations import Steering
from dialer.desk.passwords import Passwords
from dialer.desk.port import AgentDesk
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.storage.accounts import AccountRepository
from dialer.storage.alerts import AlertRepository, TeamRepository
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditLog
from dialer.storage.database import SessionFactory
from dialer.storage.never_reached import NeverReachedRepository
from dialer.web import (
    admin,
    agent_screen,
    api_agent,
    api_call_consent,
    api_inbound,
    api_orientation,
    api_webphone,
    call_help,
    consent_pages,
    dashboard,
    episode_reports,
    health,
    inbox,
    login,
    metrics,
    needs_reports,
    opposition_pages,
    own_account,
    people_pages,
    person_pages,
    plan_pages,
    resource_pages,
    result_exports,
    selection_pages,
    steering_serving,
    steering_settings,
    supervision,
    transfers,
    visits,
    volunteer_activity,
    volunteer_pages,
)
from dialer.web import api as rest_api
from dialer.web import reports as report_pages
from dialer.web import steering as steering_pages
from dialer.web.access_log import AccessLog
from dialer.web.auth import Authenticator, SessionPolicy
from dialer.web.consent_import import UPLOAD_LIMIT as CONSENT_UPLOAD_LIMIT
from dialer.web.failures import EXCEPTION_HANDLERS
from dialer.web.http_metrics import RequestFigures, RequestMetrics
from dialer.web.screens import AgentScreens
from dialer.web.service import WebService
from dialer.web.sip import SipAccess

#: the pages' templates and static files, package data of :mod:`dialer.web`
PACKAGE_DATA = Path(str(resources.files("dialer.web")))

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)


def content_security_policy(sip: SipAccess | None) -> str:
    """:data:`CONTENT_SECURITY_POLICY`, whose ``connect-src`` also names Asterisk's
    WebSocket when browser phones are configured (the phone in the agent's page)."""
    if sip is None:
        return CONTENT_SECURITY_POLICY
    parts = urlsplit(sip.webrtc_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' {origin}")


def build_screens(
    sessions: SessionFactory,
    questionnaires: QuestionnaireCatalog,
    *,
    clock: Callable[[], datetime] = utcnow,
    zone: ZoneInfo = PARIS,
) -> AgentScreens:
    """The agents' screens (the engine's ``ScreenNotifier``), to build before the engine;
    :func:`create_app` attaches the engine to it."""
    return AgentScreens(
        CallViews(sessions, questionnaires, clock=clock, zone=zone),
        clock=clock,
        audit=AuditLog(sessions),
    )


def local(moment: datetime | None, zone: ZoneInfo = PARIS) -> str:
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M") if moment else ""


def create_app(
    *,
    sessions: SessionFactory,
    engine: AgentDesk | None,
    questionnaires: QuestionnaireCatalog,
    secret_key: str,
    clock: Callable[[], datetime] = utcnow,
    screens: AgentScreens | None = None,
    alerts: AlertRaiser | None = None,
    dispatcher: AlertDispatcher | None = None,
    sip: SipAccess | None = None,
    session_lifetime: timedelta = timedelta(hours=8),
    session_idle: timedelta = timedelta(minutes=30),
    secure_cookies: bool = True,
    passwords: Passwords | None = None,
    zone: ZoneInfo = PARIS,
    control: CampaignControl | None = None,
    hsts_max_age_s: int = 31_536_000,
    episodes: EpisodeControl | None = None,
    login_rates: LoginRates | None = None,
    allow_loopback_webhooks: bool = False,
    wallboard: Thresholds = DEFAULT_THRESHOLDS,
    plans: PlanControl | None = None,
) -> Starlette:
    """The ASGI application. ``engine`` is the running :class:`DialingEngine` (or any
    object with its agent-facing methods), ``None`` when no campaign runs. Set
    ``secure_cookies=False`` only for plain-HTTP tests on 127.0.0.1, and
    ``allow_loopback_webhooks=True`` only for tests whose webhook receiver is on this
    machine. Every response to a request over HTTPS carries HSTS (``hsts_max_age_s``; 0:
    none). ``wallboard``: the live dashboard's colour thresholds."""
    screens = screens or build_screens(sessions, questionnaires, clock=clock, zone=zone)
    screens.attach(engine)
    raiser = alerts or AlertRaiser(sessions, clock=clock, dispatcher=dispatcher)
    templates = Jinja2Templates(directory=str(PACKAGE_DATA / "templates"))
    templates.env.globals["need_label"] = need_label
    templates.env.globals["campaign_state_label"] = campaign_state_label
    templates.env.filters["local"] = lambda moment: local(moment, zone)
    templates.env.filters["phone"] = phone_display
    service = WebService(
        sessions=sessions,
        desk=engine,
        questionnaires=questionnaires,
        clock=clock,
        zone=zone,
        auth=Authenticator(
            sessions,
            secret_key=secret_key,
            clock=clock,
            policy=SessionPolicy(session_lifetime, session_idle, secure_cookies),
            passwords=passwords or Passwords(),
            rates=login_rates,
        ),
        screens=screens,
        sheets=CallSheets(sessions, screens.views, raiser, clock=clock),
        accounts=AccountRepository(sessions),
        teams=TeamRepository(sessions),
        alerts=AlertRepository(sessions),
        never_reached=NeverReachedRepository(sessions),
        templates=templates,
        sip=sip,
        dispatcher=dispatcher,
    )
    app = Starlette(
        routes=[
            *health.ROUTES,
            *login.ROUTES,
            *agent_screen.ROUTES,
            *api_agent.ROUTES,
            *api_orientation.ROUTES,
            *api_call_consent.ROUTES,
            *api_webphone.ROUTES,
            *inbox.ROUTES,
            *supervision.ROUTES,
            *dashboard.ROUTES,
            *metrics.ROUTES,
            *admin.ROUTES,
            *own_account.ROUTES,
            *rest_api.ROUTES,
            *steering_settings.ROUTES,
            *steering_serving.ROUTES,
            *steering_pages.ROUTES,
            *people_pages.ROUTES,
            *selection_pages.ROUTES,
            *plan_pages.ROUTES,
            *person_pages.ROUTES,
            *opposition_pages.ROUTES,
            *consent_pages.ROUTES,
            *volunteer_pages.ROUTES,
            *volunteer_activity.ROUTES,
            *resource_pages.ROUTES,
            *report_pages.ROUTES,
            *episode_reports.ROUTES,
            *result_exports.ROUTES,
            *needs_reports.ROUTES,
            *visits.ROUTES,
            *call_help.ROUTES,
            *transfers.ROUTES,
            *api_inbound.ROUTES,
            Mount("/static", StaticFiles(directory=str(PACKAGE_DATA / "static")), name="static"),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.web = service
    app.state.wallboard = wallboard
    app.state.steering = Steering(
        sessions=sessions,
        control=control,
        episodes=episodes or (EpisodeControl(control) if control is not None else None),
        audit=control.audit if control is not None else AuditLog(sessions),
        tokens=ApiTokenRepository(sessions),
        passwords=service.auth.passwords,
        clock=clock,
        allow_loopback_webhooks=allow_loopback_webhooks,
        plans=plans or (PlanControl(control) if control is not None else None),
    )
    app.add_middleware(
        SecurityHeaders, hsts_max_age_s=hsts_max_age_s, policy=content_security_policy(sip)
    )
    app.add_middleware(BodyLimits)
    app.add_middleware(AccessLog)
    app.state.http_figures = RequestFigures()
    app.add_middleware(RequestMetrics, figures=app.state.http_figures)
    return app


def screens_of(app: Starlette) -> AgentScreens:
    """The application's :class:`AgentScreens` (to give the engine as its notifier)."""
    service: WebService = app.state.web
    return service.screens


#: the largest request body, by path (every other request: :data:`BODY_LIMIT`); a
#: register of 10,500 people is about 1 MB, one of 600,000 fits in 64 MB
BODY_LIMIT = 1_000_000
LARGER_BODY_LIMITS = {
    "/api/v1/registers/import": 64 * 1024 * 1024,
    "/supervision/registre": 64 * 1024 * 1024,
    "/api/v1/consents/import": CONSENT_UPLOAD_LIMIT,
    "/supervision/consentement/import": CONSENT_UPLOAD_LIMIT,
}


class BodyLimits:
    """Refuses (413) a request body over its path's limit, before anything reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._default = RequestBodyLimitMiddleware(app, max_body_size=BODY_LIMIT)
        self._larger = {
            path: RequestBodyLimitMiddleware(app, max_body_size=limit)
            for path, limit in LARGER_BODY_LIMITS.items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limited = self._larger.get(str(scope.get("path", "")), self._default)
        await limited(scope, receive, send)


class SecurityHeaders:
    """Headers on every HTTP response: a strict CSP (no inline script, nothing from
    another origin), no framing, no sniffing, and no caching of pages with personal data;
    over HTTPS (served by uvicorn with TLS, or a trusted proxy's X-Forwarded-Proto: https),
    HSTS: browsers then refuse plain HTTP to this host."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts_max_age_s: int = 31_536_000,
        policy: str = CONTENT_SECURITY_POLICY,
    ) -> None:
        self.app = app
        self._policy = policy.encode()
        self._hsts = f"max-age={hsts_max_age_s}".encode() if hsts_max_age_s > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        hsts = self._hsts if scope.get("scheme") == "https" else None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", self._policy),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                if hsts is not None:
                    headers.append((b"strict-transport-security", hsts))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
