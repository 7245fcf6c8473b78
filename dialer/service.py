"""The whole service in one process (``dialer serve``).

The database (migrated), the telephony node, the agents' screens, the dialing engine
(always running, campaign or not) with its campaign control (which re-attaches a campaign
left running or paused, or the one named), the cycle keeper of the alert episodes (closes
each cycle at its deadline and opens the next, by itself), the alert dispatcher, the daily
purge of data past its retention, and the web application with the REST API, served by
uvicorn (HTTPS itself, or behind a TLS-terminating proxy). :func:`running_service` is also
what the demo and the end-to-end tests use, so they exercise the same wiring as production.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import uvicorn
from starlette.applications import Starlette

from dialer.alerts.channels import EmailChannel, SmtpConfig, WebhookChannel
from dialer.alerts.dispatcher import AlertDispatcher
from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.control import CampaignControl
from dialer.campaigns.episodes import EpisodeControl
from dialer.campaigns.plans import PlanControl
from dialer.campaigns.template_files import load_templates
from dialer.clock import utcnow
from dialer.core.login_limits import LoginRates
from dialer.core.operator_messages import say
from dialer.desk.call_help import CallHelp
from dialer.desk.transfers import Transfers
from dialer.engine.engine import DialingEngine
from dialer.errors import ConfigurationError
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires
from dialer.reports.seat_time import SeatWatch
from dialer.retention.daily import DailyPurge
from dialer.retention.purge import RetentionPurge
from dialer.settings import Settings, WebSettings
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.seat_sessions import SeatSessionRepository
from dialer.telephony.ami import AmiCredentials
from dialer.telephony.node import AsteriskNode
from dialer.web.app import build_screens, create_app
from dialer.web.call_help import configure_call_help
from dialer.web.health import configure_readiness
from dialer.web.metrics import configure_metrics
from dialer.web.reports import configure_reports
from dialer.web.sip import SipAccess
from dialer.web.transfers import configure_transfers

QUESTIONNAIRES = SHIPPED_QUESTIONNAIRES


def ami_credentials(settings: Settings) -> AmiCredentials:
    """The AMI credentials of the settings (``ami.secret`` or ``ami.secret_file``)."""
    ami = settings.ami
    secret = ami.configured_secret()
    if secret is None:
        raise ConfigurationError(
            say("settings.no_ami_secret", rig_file=settings.rig.ami_secret_file)
        )
    return AmiCredentials(
        ami.host,
        ami.port,
        ami.username,
        secret,
        tls=ami.tls,
        tls_ca_file=str(ami.tls_ca_file) if ami.tls_ca_file else None,
        allow_plain_remote=ami.allow_plain_remote,
    )


@dataclass
class Service:
    settings: Settings
    sessions: SessionFactory
    node: AsteriskNode
    control: CampaignControl
    episodes: EpisodeControl
    engine: DialingEngine
    dispatcher: AlertDispatcher
    purge: DailyPurge
    app: Starlette
    url: str


async def _started_keepers(
    control: CampaignControl, settings: Settings
) -> tuple[EpisodeControl, PlanControl]:
    """The service's own loops over campaigns: the alert episodes' cycle keeper (cycles due
    while the service was down are closed and opened now, once) and the plan keeper
    (campaigns planned by dates opened at their start, closed after their end)."""
    episodes = EpisodeControl(control, check_s=settings.cycles.check_s)
    plans = PlanControl(control, check_s=settings.cycles.check_s)
    await episodes.start_keeping()
    await plans.start_keeping()
    return episodes, plans


@contextlib.asynccontextmanager
async def running_service(
    settings: Settings,
    *,
    campaign_id: int | None = None,
    ami: AmiCredentials | None = None,
    secret_key: str | None = None,
    ring_timeout_s: int | None = None,
    tick_s: float = 1.0,
) -> AsyncIterator[Service]:
    """Everything started, the web app served at ``Service.url``; all stopped on exit.
    ``ami``: Asterisk's manager credentials (default: from the settings; the demo and the
    rig's tests pass the rig's)."""
    key = secret_key or settings.web.configured_secret_key()
    if key is None or len(key) < 32:
        raise ConfigurationError(say("settings.no_secret_key", length=32))
    # the web port first: taken, the service stops before the database or Asterisk
    with listening_socket(settings.web) as listening:
        database = create_engine(settings.database_address())
        await migrate_engine(database)
        sessions = create_session_factory(database)
        questionnaires = load_questionnaires(QUESTIONNAIRES)
        screens = build_screens(sessions, questionnaires)
        node = AsteriskNode(
            "asterisk-1",
            ami or ami_credentials(settings),
            trunk=settings.trunk.name,
            action_timeout_s=settings.ami.action_timeout_s,
        )
        await node.start()
        engine = DialingEngine(
            nodes=[node],
            attempt_log=StoredAttemptLog(sessions),
            ring_timeout_s=ring_timeout_s or settings.dialing.ring_timeout_s,
            screens=screens,
            tick_s=tick_s,
            offer_countdown=timedelta(seconds=settings.dialing.preview_countdown_s),
            inbound_wait=timedelta(seconds=settings.dialing.inbound_wait_s),
            own_volunteer_wait=timedelta(seconds=settings.dialing.own_volunteer_wait_s),
        )
        control = CampaignControl(
            sessions,
            engine,
            caller_id=settings.dialing.caller_id,
            cycles=settings.cycles,
            templates=load_templates(settings.templates.directory),
        )
        await control.recover(campaign_id)
        await engine.start()
        episodes, plans = await _started_keepers(control, settings)
        smtp = settings.smtp
        dispatcher = AlertDispatcher(
            sessions,
            clock=utcnow,
            email=EmailChannel(
                SmtpConfig(
                    host=smtp.host,
                    port=smtp.port,
                    sender=smtp.sender,
                    username=smtp.username,
                    password=smtp.password.get_secret_value() if smtp.password else None,
                    security=smtp.security,
                ),
                inbox_url=f"{settings.web.public_url}/equipe",
            )
            if smtp.host
            else None,
            webhook=WebhookChannel(
                inbox_url=f"{settings.web.public_url}/equipe",
                allow_loopback=settings.rig.loopback_webhooks,
            ),
        )
        await dispatcher.start()
        web = settings.web
        app = create_app(
            allow_loopback_webhooks=settings.rig.loopback_webhooks,
            sessions=sessions,
            engine=engine,
            questionnaires=questionnaires,
            secret_key=key,
            screens=screens,
            dispatcher=dispatcher,
            control=control,
            episodes=episodes,
            plans=plans,
            sip=SipAccess(
                host=web.sip_public_host,
                port=web.sip_tls_port,
                webrtc_url=settings.sip.webrtc_url,
                ice_servers=tuple(settings.sip.ice_servers),
                turn_username=settings.sip.turn_username,
                turn_password=(
                    settings.sip.turn_password.get_secret_value()
                    if settings.sip.turn_password
                    else ""
                ),
            ),
            session_lifetime=timedelta(hours=web.session_lifetime_h),
            session_idle=timedelta(minutes=web.session_idle_min),
            secure_cookies=web.cookies_secure,
            hsts_max_age_s=web.hsts_max_age_s,
            wallboard=settings.wallboard.thresholds(),
            login_rates=LoginRates(
                per_second=web.login_attempts_per_s,
                burst=web.login_burst,
                per_address_per_minute=web.login_attempts_per_address_per_min,
                per_address_burst=web.login_address_burst,
            ),
        )
        configure_reports(
            app,
            price_grid_file=settings.billing.price_grid_file,
            needs_min_cell=settings.reports.needs_min_cell,
        )
        configure_readiness(app, [node])
        call_help, transfers = (
            await _started_call_help(app, sessions, engine, node),
            await _started_transfers(app, sessions, settings, engine, node),
        )
        prompts_watch = asyncio.create_task(node.watch_prompts(), name="prompts-watch")
        configure_metrics(
            app, web.metrics_token.get_secret_value() if web.metrics_token is not None else None
        )
        purge = await _started_purge(sessions, settings)
        seat_watch = SeatWatch(engine.seats.seats, SeatSessionRepository(sessions), clock=utcnow)
        await seat_watch.start()
        server = QuietServer(web_server_config(app, web))
        freeze_startup_objects()
        serving = await start_serving(server, listening)
        try:
            yield Service(
                settings,
                sessions,
                node,
                control,
                episodes,
                engine,
                dispatcher,
                purge,
                app,
                f"{'https' if web.tls else 'http'}://{web.host}:{web.port}",
            )
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await serving
            prompts_watch.cancel()
            await asyncio.gather(call_help.stop(), transfers.stop())
            await purge.stop()
            await asyncio.gather(episodes.stop_keeping(), plans.stop_keeping())
            await engine.stop()
            await seat_watch.stop()
            await dispatcher.stop()
            await node.stop()
            await database.dispose()


async def _started_call_help(
    app: Starlette, sessions: SessionFactory, engine: DialingEngine, node: AsteriskNode
) -> CallHelp:
    """Agents' « besoin d'aide » and supervisors' listenings, started and given to the web."""
    call_help = CallHelp(sessions, desk=engine, port=node, clock=utcnow)
    await call_help.start()
    configure_call_help(app, call_help)
    return call_help


async def _started_transfers(
    app: Starlette,
    sessions: SessionFactory,
    settings: Settings,
    engine: DialingEngine,
    node: AsteriskNode,
) -> Transfers:
    """Agents' transfers of their calls, started and given to the web."""
    transfers = Transfers(
        sessions,
        settings.transfers,
        desk=engine,
        port=node,
        closer=(engine, node),
        caller_id=settings.dialing.caller_id,
        clock=utcnow,
    )
    await transfers.start()
    engine.transfers_under_way = transfers.attempts_under_way
    configure_transfers(app, transfers)
    return transfers


async def _started_purge(sessions: SessionFactory, settings: Settings) -> DailyPurge:
    """The daily retention purge, started."""
    purge = DailyPurge(
        RetentionPurge.from_settings(sessions, settings),
        hour_utc=settings.retention.purge_hour_utc,
        clock=utcnow,
    )
    await purge.start()
    return purge


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: on SIGTERM it would stop the web at once
    and kill the process, with calls in progress and agents' sheets open. ``dialer serve``
    handles the signals itself (:func:`dialer.engine.stopping.drain` first, the web still
    up for the agents' sheets, then everything stops in order)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def web_server_config(app: Starlette, web: WebSettings) -> uvicorn.Config:
    """uvicorn's configuration: HTTPS itself when ``web.tls_cert_file`` is set; the
    forwarded headers (X-Forwarded-Proto: https from a TLS-terminating proxy) believed only
    from ``web.trusted_proxies``."""
    return uvicorn.Config(
        app,
        host=web.host,
        port=web.port,
        # the process's logging configuration (dialer.logs) is uvicorn's too; the access
        # log is the application's own (dialer.web.access_log), without personal data
        log_config=None,
        access_log=False,
        lifespan="off",
        ssl_certfile=str(web.tls_cert_file) if web.tls_cert_file else None,
        ssl_keyfile=str(web.tls_key_file) if web.tls_key_file else None,
        proxy_headers=True,
        forwarded_allow_ips=web.trusted_proxies,
    )


def freeze_startup_objects() -> None:
    """Collect once, then leave every object made so far (modules, settings, the app) out
    of the garbage collector's full passes. Without it, a full pass walks them all and
    holds the event loop, engine included, for about 100 ms; a flood of requests makes
    such passes come sooner (``python -m bench.login_flood``). Run once, before serving."""
    gc.collect()
    gc.freeze()


def listening_socket(web: WebSettings) -> socket.socket:
    """The web service's socket, bound to ``web.host``:``web.port`` (uvicorn listens on
    it). Raises :class:`ConfigurationError`, one line, when the port is taken or not ours
    to take."""
    try:
        address = socket.getaddrinfo(web.host, web.port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ConfigurationError(
            say("web.cannot_resolve", host=web.host, reason=exc.strerror)
        ) from None
    family, kind, protocol, _, where = address
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind(where)
    except OSError as exc:
        listening.close()
        known = {
            errno.EADDRINUSE: "web.port_in_use",
            errno.EACCES: "web.port_not_allowed",
            errno.EADDRNOTAVAIL: "web.address_not_ours",
        }.get(exc.errno or 0)
        reason = say(known) if known else say("web.port_other", reason=exc.strerror)
        raise ConfigurationError(
            say("web.cannot_listen", host=web.host, port=web.port, reason=reason)
        ) from None
    listening.set_inheritable(True)
    return listening


async def start_serving(
    server: uvicorn.Server, listening: socket.socket | None = None
) -> asyncio.Task[None]:
    """Start ``server`` in a task (on the bound socket ``listening``, else on the address
    of its configuration) and return it once the server listens; raises why it could not
    start."""
    serving = asyncio.create_task(
        server.serve(sockets=[listening] if listening is not None else None)
    )
    while not server.started:
        if serving.done():
            serving.result()
            config = server.config
            raise ConfigurationError(say("web.did_not_start", host=config.host, port=config.port))
        await asyncio.sleep(0.01)
    return serving
