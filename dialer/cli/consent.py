"""``dialer consent``: the consents of the households the volunteers call (« veille
sociale »), on the server itself, in the database: ``import`` a city's file of consents,
``withdraw`` a file of withdrawals, ``show`` a household's history. Each file is checked
whole first: a bad line is named ``file:line:field`` and nothing is written. Audited as
``cli:<system user>``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click

from dialer.cli.context import cli_actor, cli_route, database, settings_of
from dialer.consent_files import read_consents, read_withdrawals
from dialer.core.campaign_plans import today_in_paris
from dialer.core.labels import AGREED_BY_LABELS, CONSENT_CHANNEL_LABELS
from dialer.storage.consent_records import RecordedConsents
from dialer.storage.consent_rows import ConsentRow
from dialer.storage.consents import ConsentRegistry

_FILE = click.Path(dir_okay=False, exists=True, path_type=Path)


@click.group("consent")
def consent() -> None:
    """Consentements des foyers appelés par les bénévoles (veille sociale)."""


@consent.command("import")
@click.argument("file", type=_FILE)
@click.pass_context
def consent_import(ctx: click.Context, file: Path) -> None:
    """Enregistre les consentements d'un fichier CSV (« ; », en-tête obligatoire) :
    identifiant;accord_de;proche;date_accord;canal;appels_reguliers;campagnes_urgence;
    recueilli_par. Une ligne fautive est nommée (fichier:ligne:champ) et rien n'est
    enregistré."""
    settings = settings_of(ctx)
    now = datetime.now(UTC)
    records = read_consents(file, today=today_in_paris(now))

    async def run() -> RecordedConsents:
        async with database(settings) as sessions:
            return await ConsentRegistry(sessions).record(
                records, actor=cli_actor(), now=now, route=cli_route()
            )

    done = asyncio.run(run())
    for skipped in done.skipped:
        click.echo(skipped)
    known = len(records) - done.written - len(done.skipped)
    line = f"{done.written} consentement(s) enregistré(s) ({known} déjà connu(s)"
    if done.skipped:
        line += f", {len(done.skipped)} non enregistré(s) : foyer ayant retiré son accord"
    click.echo(line + ").")


@consent.command("withdraw")
@click.argument("file", type=_FILE)
@click.pass_context
def consent_withdraw(ctx: click.Context, file: Path) -> None:
    """Enregistre les retraits de consentement d'un fichier CSV (« ; », en-tête
    obligatoire) : identifiant;demande_par;canal. Le foyer n'est plus jamais appelé par
    les bénévoles. Une ligne fautive est nommée et rien n'est enregistré."""
    settings = settings_of(ctx)
    requests = read_withdrawals(file)

    async def run() -> int:
        async with database(settings) as sessions:
            return await ConsentRegistry(sessions).withdraw(
                requests, actor=cli_actor(), now=datetime.now(UTC), route=cli_route()
            )

    changed = asyncio.run(run())
    click.echo(
        f"{changed} foyer(s) retiré(s) : les bénévoles ne les appelleront plus "
        f"({len(requests) - changed} sans consentement en cours)."
    )


def describe(row: ConsentRow) -> str:
    """One line of a household's consent history, in French."""
    purposes = [
        label
        for on, label in (
            (row.regular_calls, "appels réguliers"),
            (row.emergency_campaigns, "campagnes d'urgence"),
        )
        if on
    ]
    who = AGREED_BY_LABELS[row.agreed_by]
    if row.relative_name:
        who += f" ({row.relative_name})"
    line = (
        f"accord du {row.agreed_at:%d/%m/%Y} : {who}, {CONSENT_CHANNEL_LABELS[row.channel]}, "
        f"pour {' et '.join(purposes)}, recueilli par {row.collected_by}"
    )
    if row.withdrawn_at is not None:
        line += f" — retiré le {row.withdrawn_at:%d/%m/%Y %H:%M}"
        if row.withdrawn_on_behalf_of is not None:
            line += f" à la demande de : {AGREED_BY_LABELS[row.withdrawn_on_behalf_of]}"
        if row.withdrawal_channel is not None:
            line += f", {CONSENT_CHANNEL_LABELS[row.withdrawal_channel]}"
    return line


@consent.command("show")
@click.argument("external_id")
@click.pass_context
def consent_show(ctx: click.Context, external_id: str) -> None:
    """L'historique des consentements d'un foyer (identifiant au registre)."""
    settings = settings_of(ctx)

    async def run() -> list[ConsentRow]:
        async with database(settings) as sessions:
            return await ConsentRegistry(sessions).history(external_id)

    history = asyncio.run(run())
    if not history:
        click.echo(f"{external_id} : aucun consentement enregistré.")
    for row in history:
        click.echo(describe(row))
