"""Running the service: ``dialer settings`` (the effective settings), ``dialer db migrate``
(the schema brought up to date) and ``dialer serve`` (the whole service,
:mod:`dialer.service`, until interrupted)."""

from __future__ import annotations

import asyncio
import json
import signal

import click

from dialer.cli.context import database, settings_of
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
        async with running_service(settings, campaign_id=campaign_id) as service:
            stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stopping.set)
            click.echo(f"Service prêt : {service.url} (Ctrl-C pour arrêter)")
            await stopping.wait()
            bound = settings.dialing.stop_drain_s
            click.echo(
                f"Arrêt demandé : plus aucun appel lancé, les appels en cours se terminent "
                f"(au plus {bound} s)…"
            )
            await service.episodes.stop_keeping()
            drained = await drain(service.engine, bound_s=bound)
            click.echo(
                f"Arrêté : {drained.lines_released} ligne(s) d'agent libérée(s), "
                f"{drained.calls_left} appel(s) laissé(s) à Asterisk, "
                f"{drained.wrap_ups_left} fiche(s) à finir à la prochaine connexion."
            )

    asyncio.run(run())
