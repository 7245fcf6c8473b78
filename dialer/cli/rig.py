"""``dialer rig``: the local Asterisk 22 (a Debian sid chroot) of the tests and the demo."""

from __future__ import annotations

import asyncio

import click

from dialer.cli.context import settings_of
from dialer.rig.asterisk import Rig
from dialer.rig.render_check import check_loaded_configuration, missing


@click.group()
def rig() -> None:
    """L'Asterisk local (chroot Debian sid) et le monde simulé, pour les tests et la démo."""


@rig.command("provision")
@click.option("--keep-running", is_flag=True, help="Laisser Asterisk tourner après le contrôle.")
@click.pass_context
def rig_provision(ctx: click.Context, keep_running: bool) -> None:
    """Installe Asterisk 22, génère sa configuration, le démarre, attend qu'AMI réponde à
    un Login et un Ping, puis l'arrête proprement (sauf --keep-running)."""

    async def provision() -> None:
        the_rig = Rig(settings_of(ctx))
        report = await asyncio.to_thread(the_rig.provision)
        state = "installé" if report.built_chroot else "réutilisé (déjà présent)"
        click.echo(f"{report.asterisk_version} : {state} en {report.seconds:.1f} s")
        if report.installed_packages:
            click.echo(f"Paquets Debian installés : {' '.join(report.installed_packages)}")
        started_now = await the_rig.start()
        click.echo("Asterisk démarré ; AMI a répondu au Login et au Ping.")
        if not keep_running and started_now:
            await the_rig.stop()
            click.echo("Asterisk arrêté proprement.")

    asyncio.run(provision())


@rig.command("start")
@click.pass_context
def rig_start(ctx: click.Context) -> None:
    """Démarre l'Asterisk local (ou recharge sa configuration s'il tourne)."""
    started = asyncio.run(Rig(settings_of(ctx)).start())
    click.echo(
        "Asterisk démarré." if started else "Asterisk tournait déjà : configuration rechargée."
    )


@rig.command("stop")
@click.pass_context
def rig_stop(ctx: click.Context) -> None:
    """Arrête proprement l'Asterisk local."""
    stopped = asyncio.run(Rig(settings_of(ctx)).stop())
    click.echo("Asterisk arrêté." if stopped else "Asterisk ne tournait pas.")


@rig.command("status")
@click.pass_context
def rig_status(ctx: click.Context) -> None:
    """Dit si l'Asterisk local est installé et s'il tourne."""
    the_rig = Rig(settings_of(ctx))
    installed = the_rig.chroot.is_provisioned()
    click.echo(f"chroot : {the_rig.chroot.path} ({'installé' if installed else 'absent'})")
    pid = the_rig.pid()
    click.echo(f"Asterisk : {'en marche, pid ' + str(pid) if pid else 'arrêté'}")


@rig.command("check-render")
@click.pass_context
def rig_check_render(ctx: click.Context) -> None:
    """Vérifie une configuration de production sur un Asterisk neuf du banc : écrivez-la
    d'abord dans le chroot du banc (« dialer asterisk render --out <chroot>/etc/asterisk »
    et « dialer asterisk prompts --sounds <chroot>/usr/share/asterisk/sounds », avec les
    réglages de production : opérateur, secret AMI). L'Asterisk du banc doit être arrêté.
    Contrôle modules, contextes du plan de numérotation, endpoint de l'opérateur et messages
    (la question de la sonde de disponibilité), arrête cet Asterisk puis remet la
    configuration du banc. Code de sortie 1 si un contrôle échoue."""
    the_rig = Rig(settings_of(ctx))
    try:
        findings = asyncio.run(check_loaded_configuration(the_rig))
    finally:
        the_rig.render_configuration()
    for finding in findings:
        mark = "ok" if finding.ok else "ÉCHEC"
        click.echo(f"{mark} {finding.what}{' : ' + finding.detail if finding.detail else ''}")
    failed = missing(findings)
    click.echo("Configuration du banc remise.")
    if failed:
        raise click.ClickException(
            f"{len(failed)} contrôle(s) en échec sur {len(findings)} : "
            + ", ".join(finding.what for finding in failed)
        )
    click.echo(f"Les {len(findings)} contrôles sont passés.")
