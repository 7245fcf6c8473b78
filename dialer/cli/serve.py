"""Running the service: ``dialer settings`` (the effective settings), ``dialer db migrate``
(the schema brought up to date) and ``dialer serve`` (the whole service,
:mod:`dialer.service`, until interrupted)."""

from __future__ import annotations

import asyncio
import json
import signal

import click

from dialer.cli.context import database, settings_of
from dialer.core.operator_messages import say
from dialer.engine.stopping import drain
from dialer.redaction import mask_secrets, masked
from dialer.service import running_service


@click.command("settings")
@click.pass_context
def show_settings(ctx: click.Context) -> None:
    """Affiche les réglages effectifs (les secrets sont masqués)."""
    values = masked(settings_of(ctx).model_dump(mode="json"))
    click.echo(json.dumps(values, indent=2, ensure_ascii=False))


@click.group()
def db() -> None:
    """Base de données."""


@db.command("migrate")
@click.pass_context
def db_migrate(ctx: click.Context) -> None:
    """Met le schéma à jour (migrations Alembic de db/)."""
    settings = settings_of(ctx)

    async def run() -> None:
        async with database(settings):
            pass

    asyncio.run(run())
    click.echo(f"Schéma à jour : {mask_secrets(settings.database_url)}")


@click.command("serve")
@click.option(
    "--campaign",
    "campaign_id",
    type=int,
    help="Campagne à rattacher au moteur d'appels au démarrage "
    "(défaut : celle laissée en cours ou en pause).",
)
@click.pass_context
def serve(ctx: click.Context, campaign_id: int | None) -> None:
    """Le service complet : moteur d'appels, écrans des agents, alertes, supervision."""
    settings = settings_of(ctx)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # SIGTERM (systemd's stop, a container engine's) stops as Ctrl-C does: the calls
        # drained (dialer.engine.stopping), then the web server, the engine and the AMI
        # sessions closed, and exit status 0
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        async with running_service(settings, campaign_id=campaign_id) as service:
            click.echo(say("service.ready", url=service.url))
            await stop.wait()
            bound = settings.dialing.stop_drain_s
            click.echo(say("service.stopping", seconds=bound))
            await service.episodes.stop_keeping()
            drained = await drain(service.engine, bound_s=bound)
            click.echo(
                say(
                    "service.stopped",
                    lines=drained.lines_released,
                    calls=drained.calls_left,
                    sheets=drained.wrap_ups_left,
                )
            )

    asyncio.run(run())
