"""``dialer asterisk``: a production Asterisk's configuration rendered from the settings,
the agents' SIP accounts of the database written into it and reloaded over AMI, and the
information message's audio installed in its sounds directory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from dialer.cli.context import database, settings_of
from dialer.service import ami_credentials
from dialer.storage.database import SessionFactory
from dialer.storage.sip_accounts import SipAccountRepository
from dialer.telephony import asterisk_config, prompts
from dialer.telephony.ami import AmiClient
from dialer.telephony.asterisk_config import SipAccount
from dialer.telephony.sip_accounts import publish_sip_accounts

#: where Debian's asterisk packages keep the sounds Asterisk plays
DEBIAN_SOUNDS = Path("/usr/share/asterisk/sounds")


async def stored_agents(sessions: SessionFactory) -> list[SipAccount]:
    """The SIP accounts of the database's active agents (only their digests are stored)."""
    return [
        SipAccount(
            username=e.username,
            md5_cred=e.md5_cred,
            display_name=e.display_name,
            remote=e.remote,
            browser=e.browser,
        )
        for e in await SipAccountRepository(sessions).endpoints()
    ]


@click.group()
def asterisk() -> None:
    """Configuration d'un Asterisk de production."""


@asterisk.command("render")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Dossier de destination (ex. /etc/asterisk).",
)
@click.option(
    "--ami-permit",
    multiple=True,
    default=["127.0.0.1/255.255.255.255"],
    show_default=True,
    help="Réseau autorisé à se connecter à AMI (répétable).",
)
@click.pass_context
def asterisk_render(ctx: click.Context, out: Path, ami_permit: tuple[str, ...]) -> None:
    """Génère manager.conf, pjsip.conf, extensions.conf, ... à partir des modèles et des
    réglages (trunk, secret AMI via DIALER_AMI__SECRET ou DIALER_AMI__SECRET_FILE)."""
    settings = settings_of(ctx)
    rendered = asterisk_config.render(
        settings,
        ami_secret=ami_credentials(settings).secret,
        agents=[],
        ami_permit=ami_permit,
    )
    for path in asterisk_config.write(rendered, out):
        click.echo(f"écrit : {path}")


@asterisk.command("sync")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Le dossier de configuration d'Asterisk (ex. /etc/asterisk).",
)
@click.pass_context
def asterisk_sync(ctx: click.Context, out: Path) -> None:
    """Écrit la configuration avec les agents de la base et recharge PJSIP par AMI."""
    settings = settings_of(ctx)
    credentials = ami_credentials(settings)

    async def run() -> list[str]:
        async with database(settings) as sessions, AmiClient(credentials) as ami:
            return await publish_sip_accounts(
                settings,
                await stored_agents(sessions),
                target=out,
                ami=ami,
                ami_secret=credentials.secret,
            )

    endpoints = asyncio.run(run())
    click.echo(f"{len(endpoints)} comptes d'agents configurés ; PJSIP rechargé.")


@asterisk.command("prompts")
@click.option(
    "--sounds",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEBIAN_SOUNDS,
    show_default=True,
    help="Le dossier des sons d'Asterisk (le message y est écrit sous dialer/).",
)
@click.option(
    "--recording",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Un enregistrement fourni par la ville (tout format que sox lit) ; "
    "sans lui, le message est synthétisé depuis son texte et les réglages.",
)
@click.pass_context
def asterisk_prompts(ctx: click.Context, sounds: Path, recording: Path | None) -> None:
    """Installe le message d'information (joué quand aucun agent n'est libre à temps),
    celui qu'entend le téléphone personnel d'un agent (« appuyez sur 1 »), l'attente d'un
    transfert (« ne quittez pas ») et ceux des appels reçus (attente, « nous vous
    rappellerons », service fermé) au format qu'Asterisk lit (WAV 8 kHz mono)."""
    target = prompts.information_prompt(sounds)
    if recording is not None:  # the city's recording of the information message; the
        # other messages are synthesised all the same (the readiness check needs them)
        prompts.install_recording(recording, target)
        click.echo(f"Enregistrement installé : {target}")
    else:
        text = prompts.information_text(settings_of(ctx).dialing)
        written = prompts.synthesize(text, target)
        click.echo(f"{'Message synthétisé' if written else 'Message déjà à jour'} : {target}")
        click.echo(text)
    own_line = prompts.own_line_prompt(sounds)
    own_text = prompts.own_line_text(settings_of(ctx).dialing)
    written = prompts.synthesize(own_text, own_line)
    click.echo(f"{'Message synthétisé' if written else 'Message déjà à jour'} : {own_line}")
    click.echo(own_text)
    hold = prompts.transfer_hold_prompt(sounds)
    written = prompts.synthesize(prompts.transfer_hold_text(), hold)
    click.echo(f"{'Message synthétisé' if written else 'Message déjà à jour'} : {hold}")
    for path, text in prompts.inbound_prompts(sounds, settings_of(ctx).dialing):
        written = prompts.synthesize(text, path)
        click.echo(f"{'Message synthétisé' if written else 'Message déjà à jour'} : {path}")
        click.echo(text)
