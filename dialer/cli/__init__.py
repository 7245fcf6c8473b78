"""The ``dialer`` command: one click group, its subcommands in this package, one module
per command group. Messages for people speak French; errors map to exit codes in
:mod:`dialer.errors` only."""

from __future__ import annotations

import sys

import click

from dialer.cli.agents import agents
from dialer.cli.alerts import alert
from dialer.cli.api_tokens import api_token
from dialer.cli.asterisk import asterisk
from dialer.cli.audit import audit
from dialer.cli.backup import backup
from dialer.cli.campaigns import campaign
from dialer.cli.demo import demo
from dialer.cli.persons import person
from dialer.cli.purge import purge
from dialer.cli.register import register
from dialer.cli.reports import report
from dialer.cli.rig import rig
from dialer.cli.serve import db, serve, show_settings
from dialer.cli.teams import teams
from dialer.cli.users import users
from dialer.core.operator_messages import choose_language, say
from dialer.errors import DialerError, exit_code
from dialer.logs import configure_logging
from dialer.redaction import install_log_masking, mask_secrets
from dialer.settings import load_settings


@click.group()
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Niveau du journal (défaut : réglage log.level, INFO).",
)
@click.pass_context
def cli(ctx: click.Context, log_level: str | None) -> None:
    """Dialer de campagnes d'appels sortants (veille sanitaire, canicule, grand froid)."""
    install_log_masking()
    settings = load_settings()
    choose_language(settings.language)
    configure_logging(
        log_level or settings.log.level, settings.log.format, access_log=settings.log.access_log
    )
    ctx.obj = settings


for command in (
    show_settings,
    users,
    rig,
    asterisk,
    db,
    register,
    campaign,
    alert,
    teams,
    audit,
    api_token,
    serve,
    agents,
    demo,
    report,
    purge,
    person,
    backup,
):
    cli.add_command(command)


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
