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
import gc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import uvicorn
from starlette.applications import Starlette

from dialer.alerts.channels import EmailChannel, SmtpConfig, WebhookChannel
from dialer.alerts.dispatcher import AlertDispatcher
from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.control import CampaignControl
from dialer.campaigns.episodes import EpisodeControl
from dialer.clock import utcnow
from dialer.core.login_limits import LoginRates
from dialer.engine.engine import DialingEngine
from dialer.errors import ConfigurationError
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires
from dialer.retention.daily import DailyPurge
from dialer.retention.purge import RetentionPurge
from dialer.settings import Settings, WebSettings
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.telephony.ami import AmiCredentials
from dialer.telephony.node import AsteriskNode
from dialer.web.app import build_screens, create_app
from dialer.web.metrics import configure_metrics
from dialer.web.reports import configure_reports
from dialer.web.sip import SipAccess

QUESTIONNAIRES = SHIPPED_QUESTIONNAIRES


def ami_credentials(settings: Settings) -> AmiCredentials:
    """The AMI credentials of the settings (``ami.secret`` or ``ami.secret_file``)."""
    ami = settings.ami
    secret = ami.configured_secret()
    if secret is None:
        raise ConfigurationError(
            "ami.secret: set DIALER_AMI__SECRET or DIALER_AMI__SECRET_FILE (the local rig's: "
            f"{settings.rig.ami_secret_file})"
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
    key = secret_key or (
        settings.web.secret_key.get_secret_value() if settings.web.secret_key else None
    )
    if key is None or len(key) < 32:
        raise ConfigurationError("web.secret_key: set DIALER_WEB__SECRET_KEY (>= 32 characters)")
    database = create_engine(settings.database_url)
    await migrate_engine(database)
    sessions = create_session_factory(database)
    questionnaires = load_questionnaires(QUESTIONNAIRES)
    screens = build_screens(sessions, questionnaires)
    node = AsteriskNode("asterisk-1", ami or ami_credentials(settings), trunk=settings.trunk.name)
    await node.start()
    engine = DialingEngine(
        nodes=[node],
        ledger=StoredAttemptLog(sessions),
        ring_timeout_s=ring_timeout_s or settings.dialing.ring_timeout_s,
        screens=screens,
        tick_s=tick_s,
        offer_countdown=timedelta(seconds=settings.dialing.preview_countdown_s),
    )
    control = CampaignControl(
        sessions, engine, caller_id=settings.dialing.caller_id, cycles=settings.cycles
    )
    episodes = EpisodeControl(control, check_s=settings.cycles.check_s)
    await control.recover(campaign_id)
    await engine.start()
    # cycles due while the service was down are closed and opened now, once
    await episodes.start_keeping()
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
        sip=SipAccess(host=web.sip_public_host, port=web.sip_tls_port),
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
    configure_reports(app, price_grid_file=settings.billing.price_grid_file)
    configure_metrics(
        app, web.metrics_token.get_secret_value() if web.metrics_token is not None else None
    )
    purge = DailyPurge(
        RetentionPurge.from_settings(sessions, settings),
        hour_utc=settings.retention.purge_hour_utc,
        clock=utcnow,
    )
    await purge.start()
    server = uvicorn.Server(web_server_config(app, web))
    freeze_startup_objects()
    serving = await start_serving(server)
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
        await purge.stop()
        await episodes.stop_keeping()
        await engine.stop()
        await dispatcher.stop()
        await node.stop()
        await database.dispose()


def web_server_config(app: Starlette, web: WebSettings) -> uvicorn.Config:
    """uvicorn's configuration: HTTPS itself when ``web.tls_cert_file`` is set; the
    forwarded headers (X-Forwarded-Proto: https from a TLS-terminating proxy) believed only
    from ``web.trusted_proxies``."""
    return uvicorn.Config(
        app,
        host=web.host,
        port=web.port,
        log_level="warning",
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


async def start_serving(server: uvicorn.Server) -> asyncio.Task[None]:
    """Start ``server`` in a task and return it once the server listens; raises why it
    could not start (port taken, ...)."""
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
            config = server.config
            raise ConfigurationError(f"web server did not start on {config.host}:{config.port}")
        await asyncio.sleep(0.01)
    return serving
