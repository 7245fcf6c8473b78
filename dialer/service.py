"""The whole service in one process (``dialer serve``).

The database (migrated), the telephony node, the agents' screens, the dialing engine
(always running, campaign or not) with its campaign control (which re-attaches a campaign
left running or paused, or the one named), the alert dispatcher and the web application
with the REST API, served by uvicorn. :func:`running_service` is also what the demo and
the end-to-end tests use, so they exercise the same wiring as production.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import uvicorn
from starlette.applications import Starlette

from dialer.alerts.channels import EmailChannel, SmtpConfig, WebhookChannel
from dialer.alerts.dispatcher import AlertDispatcher
from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.control import CampaignControl
from dialer.clock import utcnow
from dialer.engine.engine import DialingEngine
from dialer.errors import ConfigurationError
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires
from dialer.settings import Settings
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
    return AmiCredentials(ami.host, ami.port, ami.username, secret)


@dataclass
class Service:
    settings: Settings
    sessions: SessionFactory
    node: AsteriskNode
    control: CampaignControl
    engine: DialingEngine
    dispatcher: AlertDispatcher
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
    control = CampaignControl(sessions, engine, caller_id=settings.dialing.caller_id)
    await control.recover(campaign_id)
    await engine.start()
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
        webhook=WebhookChannel(inbox_url=f"{settings.web.public_url}/equipe"),
    )
    await dispatcher.start()
    web = settings.web
    app = create_app(
        sessions=sessions,
        engine=engine,
        questionnaires=questionnaires,
        secret_key=key,
        screens=screens,
        dispatcher=dispatcher,
        control=control,
        sip=SipAccess(host=web.sip_public_host, port=web.sip_tls_port),
        session_lifetime=timedelta(hours=web.session_lifetime_h),
        session_idle=timedelta(minutes=web.session_idle_min),
        secure_cookies=web.secure_cookies,
    )
    configure_reports(app, price_grid_file=settings.billing.price_grid_file)
    configure_metrics(
        app, web.metrics_token.get_secret_value() if web.metrics_token is not None else None
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=web.host, port=web.port, log_level="warning", lifespan="off")
    )
    serving = await start_serving(server)
    try:
        yield Service(
            settings,
            sessions,
            node,
            control,
            engine,
            dispatcher,
            app,
            f"http://{web.host}:{web.port}",
        )
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await engine.stop()
        await dispatcher.stop()
        await node.stop()
        await database.dispose()


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
