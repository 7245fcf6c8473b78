"""The ``dialer`` command. Messages for people speak French; errors map to exit codes in
:mod:`dialer.errors` only."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager, ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from dialer.agents import sync_asterisk_agents
from dialer.demo import run_demo
from dialer.desk.accounts import create_account
from dialer.errors import ConfigurationError, DialerError, exit_code
from dialer.register import ImportProgress, ImportReport, ImportStep, import_register
from dialer.report_cli import report
from dialer.rig.asterisk import Rig
from dialer.server import ami_credentials, running_service
from dialer.settings import Settings, load_settings
from dialer.steering_cli import (
    agents_list,
    agents_logout,
    api_token,
    audit,
    campaign,
    record_cli_change,
    teams,
)
from dialer.storage.database import SessionFactory, migrated_database
from dialer.storage.sip_accounts import SipAccountRepository
from dialer.telephony import asterisk_config
from dialer.telephony.ami import AmiClient

if TYPE_CHECKING:  # the type click.progressbar() returns; click does not export it
    from click._termui_impl import ProgressBar

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    if settings is None:
        raise click.UsageError("settings not loaded")
    return settings


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Dialer de campagnes d'appels sortants (veille sanitaire, canicule, grand froid)."""
    ctx.obj = load_settings()


# ---- settings --------------------------------------------------------------------------
@cli.command("settings")
@click.pass_context
def show_settings(ctx: click.Context) -> None:
    """Affiche les réglages effectifs (les secrets sont masqués)."""
    click.echo(_settings(ctx).model_dump_json(indent=2))


# ---- the local Asterisk rig -------------------------------------------------------------
@cli.group()
def rig() -> None:
    """L'Asterisk local (chroot Debian sid) et le monde simulé, pour les tests et la démo."""


@rig.command("provision")
@click.option("--keep-running", is_flag=True, help="Laisser Asterisk tourner après le contrôle.")
@click.pass_context
def rig_provision(ctx: click.Context, keep_running: bool) -> None:
    """Installe Asterisk 22, génère sa configuration, le démarre, attend qu'AMI réponde à
    un Login et un Ping, puis l'arrête proprement (sauf --keep-running)."""

    async def provision() -> None:
        the_rig = Rig(_settings(ctx))
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

    _run(provision())


@rig.command("start")
@click.pass_context
def rig_start(ctx: click.Context) -> None:
    """Démarre l'Asterisk local (ou recharge sa configuration s'il tourne)."""
    started = _run(Rig(_settings(ctx)).start())
    click.echo(
        "Asterisk démarré." if started else "Asterisk tournait déjà : configuration rechargée."
    )


@rig.command("stop")
@click.pass_context
def rig_stop(ctx: click.Context) -> None:
    """Arrête proprement l'Asterisk local."""
    stopped = _run(Rig(_settings(ctx)).stop())
    click.echo("Asterisk arrêté." if stopped else "Asterisk ne tournait pas.")


@rig.command("status")
@click.pass_context
def rig_status(ctx: click.Context) -> None:
    """Dit si l'Asterisk local est installé et s'il tourne."""
    the_rig = Rig(_settings(ctx))
    installed = the_rig.chroot.is_provisioned()
    click.echo(f"chroot : {the_rig.chroot.path} ({'installé' if installed else 'absent'})")
    pid = the_rig.pid()
    click.echo(f"Asterisk : {'en marche, pid ' + str(pid) if pid else 'arrêté'}")


# ---- Asterisk configuration for production ----------------------------------------------
@cli.group()
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
    réglages (trunk, secret AMI via DIALER_AMI__SECRET)."""
    settings = _settings(ctx)
    if settings.ami.secret is None:
        raise ConfigurationError("ami.secret: set DIALER_AMI__SECRET (or [ami] secret in the file)")
    rendered = asterisk_config.render(
        settings,
        ami_secret=settings.ami.secret.get_secret_value(),
        agents=[],
        ami_permit=ami_permit,
    )
    for path in asterisk_config.write(rendered, out):
        click.echo(f"écrit : {path}")


# ---- database, register, campaigns -----------------------------------------------------
def _database(settings: Settings) -> AbstractAsyncContextManager[SessionFactory]:
    """The migrated database of the settings (SQLite file by default)."""
    return migrated_database(settings.database_url)


@cli.group()
def db() -> None:
    """Base de données."""


@db.command("migrate")
@click.pass_context
def db_migrate(ctx: click.Context) -> None:
    """Met le schéma à jour (migrations Alembic de db/)."""
    settings = _settings(ctx)

    async def run() -> None:
        async with _database(settings):
            pass

    _run(run())
    click.echo(f"Schéma à jour : {settings.database_url.split('@')[-1]}")


@cli.group()
def register() -> None:
    """Le fichier des personnes à appeler (registre)."""


@register.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier de correspondance colonnes → champs.",
)
@click.option("--dry-run", is_flag=True, help="Montrer ce qui changerait, sans rien écrire.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Où écrire les lignes rejetées (défaut : FICHIER-rejets.csv).",
)
@click.pass_context
def register_import(
    ctx: click.Context, file: Path, mapping: Path | None, dry_run: bool, rejects: Path | None
) -> None:
    """Importe (ou met à jour) le registre depuis un CSV ou un XLSX."""
    settings = _settings(ctx)

    async def run() -> ImportReport:
        async with _database(settings) as sessions:
            with _ImportDisplay(_estimated_rows(file)) as display:
                return await import_register(
                    sessions,
                    file,
                    mapping=mapping,
                    dry_run=dry_run,
                    rejects_path=rejects,
                    on_progress=display.show,
                    now=datetime.now(UTC),
                )

    report = _run(run())
    if not dry_run:
        counts = {"read": report.read, "added": report.added, "changed": report.changed}
        counts |= {"removed": report.removed, "rejected": report.rejected}
        _run(record_cli_change(settings, "register.import", f"register:{file.name}", counts))
    click.echo(report.summary_fr())
    for issue in report.issues[:20]:
        column = f", colonne « {issue.column} »" if issue.column else ""
        value = f" ({issue.value!r})" if issue.value else ""
        click.echo(f"  ligne {issue.line}{column} : {issue.reason}{value}")
    if report.issue_count > 20:
        click.echo(
            f"  … {report.issue_count - 20} autres (les lignes rejetées et valeurs ignorées "
            "sont toutes dans le fichier des rejets)"
        )


class _ImportDisplay:
    """An import's progress on stderr: a bar for the rows checked and one for the writing,
    a line for the other steps."""

    def __init__(self, rows: int) -> None:
        self._rows = rows
        self._step: ImportStep | None = None
        self._bar: ProgressBar[int] | None = None
        self._open = ExitStack()  # the current bar

    def __enter__(self) -> _ImportDisplay:
        return self

    def __exit__(self, *_: object) -> None:
        self._open.close()

    def show(self, progress: ImportProgress) -> None:
        if progress.step is not self._step:
            self._open.close()
            self._bar, self._step = None, progress.step
            length = self._rows if progress.step is ImportStep.CHECK else progress.total
            if length or progress.step is ImportStep.CHECK:
                bar = click.progressbar(
                    length=length, label=progress.step.value, show_pos=True, file=sys.stderr
                )
                self._bar = self._open.enter_context(bar)
            else:
                click.echo(f"{progress.step.value}…", err=True)
        if self._bar is not None:
            self._bar.update(progress.done - self._bar.pos)


def _estimated_rows(path: Path) -> int:
    """Rows in a CSV (its line count, for the progress bar); 0 when unknown (XLSX)."""
    if path.suffix.lower() not in {".csv", ".txt"} or not path.is_file():
        return 0
    with path.open("rb") as handle:
        return max(
            0, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1
        )


cli.add_command(campaign)
cli.add_command(teams)
cli.add_command(audit)
cli.add_command(api_token)


@cli.command("serve")
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
    settings = _settings(ctx)

    async def run() -> None:
        async with running_service(settings, campaign_id=campaign_id) as service:
            click.echo(f"Service prêt : {service.url} (Ctrl-C pour arrêter)")
            await asyncio.Event().wait()

    _run(run())


@cli.group()
def agents() -> None:
    """Les agents et leurs comptes SIP."""


agents.add_command(agents_logout)
agents.add_command(agents_list)


@agents.command("create")
@click.argument("username")
@click.option("--remote", is_flag=True, help="Télétravail : TLS + SRTP depuis un softphone.")
@click.password_option(help="Mot de passe de connexion à l'écran (12 caractères minimum).")
@click.pass_context
def agents_create(ctx: click.Context, username: str, remote: bool, password: str) -> None:
    """Crée le compte d'un agent et ses identifiants SIP (affichés une seule fois)."""
    settings = _settings(ctx)

    async def run() -> tuple[str, str]:
        async with _database(settings) as sessions:
            await create_account(sessions, username, password, "agent", None, username)
            return await SipAccountRepository(sessions).reset(
                username, remote=remote, now=datetime.now(UTC)
            )

    endpoint, sip_password = _run(run())
    _run(record_cli_change(settings, "agent.create", f"agent:{username}", {"remote": remote}))
    click.echo(f"Agent {username} créé. Compte SIP : {endpoint} / mot de passe : {sip_password}")
    click.echo("Ce mot de passe SIP ne sera plus affiché. Puis : dialer asterisk sync")


@agents.command("sip-reset")
@click.argument("username")
@click.option("--remote", is_flag=True, help="Télétravail : TLS + SRTP depuis un softphone.")
@click.pass_context
def agents_sip_reset(ctx: click.Context, username: str, remote: bool) -> None:
    """Donne de nouveaux identifiants SIP à un agent (affichés une seule fois)."""
    settings = _settings(ctx)

    async def run() -> tuple[str, str]:
        async with _database(settings) as sessions:
            return await SipAccountRepository(sessions).reset(
                username, remote=remote, now=datetime.now(UTC)
            )

    endpoint, sip_password = _run(run())
    _run(record_cli_change(settings, "agent.sip_reset", f"agent:{username}", {"remote": remote}))
    click.echo(f"Compte SIP {endpoint} : nouveau mot de passe {sip_password} (affiché une fois)")


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
    settings = _settings(ctx)
    credentials = ami_credentials(settings)

    async def run() -> list[str]:
        async with _database(settings) as sessions, AmiClient(credentials) as ami:
            return await sync_asterisk_agents(
                settings, sessions, target=out, ami=ami, ami_secret=credentials.secret
            )

    endpoints = _run(run())
    click.echo(f"{len(endpoints)} comptes d'agents configurés ; PJSIP rechargé.")


# ---- demo -------------------------------------------------------------------------------
@cli.command("demo")
@click.option("--minutes", default=6.0, show_default=True, help="Durée maximale de la campagne.")
@click.option("--port", default=8080, show_default=True, help="Port du service web (127.0.0.1).")
@click.pass_context
def demo(ctx: click.Context, minutes: float, port: int) -> None:
    """Démonstration complète sur l'Asterisk local et le monde simulé."""
    _run(run_demo(_settings(ctx), click.echo, minutes=minutes, port=port))


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrompu", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DialerError as exc:
        click.echo(f"erreur : {exc}", err=True)
        sys.exit(exit_code(exc))


cli.add_command(report)
