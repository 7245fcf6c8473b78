"""The ``dialer`` command: one click group, its subcommands in this package, one module
per command group. Messages for people speak French; errors map to exit codes in
:mod:`dialer.errors` only.

The root group imports no command module: :data:`COMMANDS` names each command's module and
its one-line help, and a command's module (with the storage, the web service...) is
imported when that command runs. ``dialer --help`` and ``dialer --version`` stay quick
(``python -m bench.cli_startup`` measures it).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

import click

from dialer.core.operator_messages import choose_language, say
from dialer.errors import DialerError, exit_code
from dialer.redaction import mask_secrets


@dataclass(frozen=True)
class CommandEntry:
    """Where a subcommand lives, and its help line for ``dialer --help`` (the first line
    of its docstring: a test checks that they agree)."""

    module: str
    attribute: str
    help: str


#: the subcommands of ``dialer``, by name
COMMANDS: dict[str, CommandEntry] = {
    "agents": CommandEntry("dialer.cli.agents", "agents", "Les agents et leurs comptes SIP."),
    "alert": CommandEntry(
        "dialer.cli.alerts", "alert", "Épisodes d'alerte (par l'API du service en marche)."
    ),
    "api-token": CommandEntry("dialer.cli.api_tokens", "api_token", "Jetons d'API."),
    "asterisk": CommandEntry(
        "dialer.cli.asterisk", "asterisk", "Configuration d'un Asterisk de production."
    ),
    "audit": CommandEntry(
        "dialer.cli.audit",
        "audit",
        "Le journal (modifications et consultations), les plus récentes d'abord.",
    ),
    "backup": CommandEntry(
        "dialer.cli.backup",
        "backup",
        "Copie la base SQLite, service en marche, dans DESTINATION (lisible par vous seul).",
    ),
    "campaign": CommandEntry(
        "dialer.cli.campaigns", "campaign", "Campagnes d'appels (par l'API du service en marche)."
    ),
    "consent": CommandEntry(
        "dialer.cli.consent",
        "consent",
        "Consentements des foyers appelés par les bénévoles (veille sociale).",
    ),
    "db": CommandEntry("dialer.cli.serve", "db", "Base de données."),
    "demo": CommandEntry(
        "dialer.cli.demo",
        "demo",
        "Démonstration complète sur l'Asterisk local et le monde simulé.",
    ),
    "lists": CommandEntry(
        "dialer.cli.register",
        "lists",
        "Les listes de personnes et combien de personnes chacune compte.",
    ),
    "person": CommandEntry(
        "dialer.cli.persons",
        "person",
        "Droits d'une personne du registre : accès, rectification, effacement, opposition.",
    ),
    "purge": CommandEntry(
        "dialer.cli.purge",
        "purge",
        "Supprime les données personnelles dont la durée de conservation est dépassée.",
    ),
    "questionnaire": CommandEntry(
        "dialer.cli.definitions", "questionnaire", "Les questionnaires (fichiers YAML)."
    ),
    "register": CommandEntry(
        "dialer.cli.register", "register", "Le fichier des personnes à appeler (registre)."
    ),
    "report": CommandEntry(
        "dialer.cli.reports",
        "report",
        "Rapports de campagne : chiffres, exports CSV/XLSX/PDF, facturation.",
    ),
    "resources": CommandEntry(
        "dialer.cli.resources",
        "resources",
        "L'annuaire des ressources (services de la Ville, partenaires) de la veille sociale.",
    ),
    "rig": CommandEntry(
        "dialer.cli.rig",
        "rig",
        "L'Asterisk local (chroot Debian sid) et le monde simulé, pour les tests et la démo.",
    ),
    "serve": CommandEntry(
        "dialer.cli.serve",
        "serve",
        "Le service complet : moteur d'appels, écrans des agents, alertes, supervision.",
    ),
    "settings": CommandEntry(
        "dialer.cli.serve",
        "show_settings",
        "Affiche les réglages effectifs (les secrets sont masqués).",
    ),
    "template": CommandEntry(
        "dialer.cli.definitions", "template", "Les modèles de campagne (fichiers YAML)."
    ),
    "teams": CommandEntry(
        "dialer.cli.teams",
        "teams",
        "Les équipes d'intervention (par l'API du service en marche).",
    ),
    "volunteers": CommandEntry(
        "dialer.cli.volunteers",
        "volunteers",
        "Les bénévoles de la veille sociale : formation, coordinateur, disponibilités.",
    ),
    "users": CommandEntry(
        "dialer.cli.users",
        "users",
        "Les comptes : création (le premier administrateur compris), rôle, mot de passe.",
    ),
}


class DialerGroup(click.Group):
    """The root group: the subcommands of :data:`COMMANDS`, each imported when it runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{entry.module}.{entry.attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their help lines, without importing their modules."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, shortened(entry.help, limit)) for name, entry in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def shortened(text: str, limit: int) -> str:
    """``text``, cut after a whole word with ``...`` when longer than ``limit``."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 1)].rsplit(" ", 1)[0].rstrip(" ,;:") + "..."


@click.group(cls=DialerGroup)
@click.version_option(package_name="dialer", message="dialer %(version)s")
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Niveau du journal (défaut : réglage log.level, INFO).",
)
@click.pass_context
def cli(ctx: click.Context, log_level: str | None) -> None:
    """Dialer de campagnes d'appels sortants (veille sanitaire, canicule, grand froid)."""
    from dialer.logs import configure_logging  # noqa: PLC0415 - quick --help
    from dialer.redaction import install_log_masking  # noqa: PLC0415 - quick --help
    from dialer.settings import load_settings  # noqa: PLC0415 - quick --help

    install_log_masking()
    settings = load_settings()  # chooses the language first, for its own errors
    choose_language(settings.language)  # the validated setting: the same language
    configure_logging(
        log_level or settings.log.level, settings.log.format, access_log=settings.log.access_log
    )
    ctx.obj = settings


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(say("cli.interrupted"), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DialerError as exc:
        click.echo(say("cli.error", error=mask_secrets(str(exc))), err=True)
        sys.exit(exit_code(exc))
