"""Running the service: ``dialer settings`` (the effective settings), ``dialer db migrate``
(the schema brought up to date) and ``dialer serve`` (the whole service,
:mod:`dialer.service`, until interrupted)."""

from __future__ import annotations

import asyncio
import json

import click

from dialer.cli.context import database, settings_of
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
    """Met le schéma à jour (migrations Alembic livrées avec le paquet)."""
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
            click.echo(f"Service prêt : {service.url} (Ctrl-C pour arrêter)")
            await asyncio.Event().wait()

    asyncio.run(run())
