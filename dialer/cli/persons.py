"""``dialer person``: a person's rights on the server itself, in the database: ``export``
(everything held about them, JSON), ``correct`` (register fields, the import's rules),
``erase`` (all but what the law requires to keep); ``oppose`` records a file of
oppositions (« ne plus appeler »). Each action is audited as ``cli:<system user>``."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from dialer.cli.context import cli_actor, cli_route, database, settings_of
from dialer.core.labels import KEPT_AFTER_ERASURE
from dialer.errors import InputError
from dialer.register.correction import FIELDS, check_correction
from dialer.register.oppositions import read_oppositions
from dialer.settings import Settings
from dialer.storage.holds import PersonHolds
from dialer.storage.person_data import Actor, PersonData


def _actor() -> Actor:
    return Actor(cli_actor(), cli_route())


@click.group("person")
def person() -> None:
    """Droits d'une personne du registre : accès, rectification, effacement, opposition."""


@person.command("export")
@click.argument("person_id", type=click.IntRange(min=1))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier JSON à écrire (défaut : la sortie standard).",
)
@click.pass_context
def person_export(ctx: click.Context, person_id: int, out: Path | None) -> None:
    """Tout ce qui est conservé sur la personne, en JSON (droit d'accès)."""
    settings = settings_of(ctx)

    async def run() -> dict[str, Any]:
        async with database(settings) as sessions:
            return await PersonData(sessions).export(
                person_id, actor=_actor(), now=datetime.now(UTC)
            )

    text = json.dumps(asyncio.run(run()), ensure_ascii=False, indent=2)
    if out is None:
        click.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    out.chmod(0o600)  # personal data: readable by its owner only
    click.echo(f"Export écrit : {out}")


def _changes(values: tuple[str, ...]) -> dict[str, object]:
    changes: dict[str, object] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep:
            raise InputError(
                f"--set « {value[:40]} » : attendu champ=valeur (champs : {', '.join(FIELDS)})"
            )
        changes[name.strip()] = text
    return changes


@person.command("correct")
@click.argument("person_id", type=click.IntRange(min=1))
@click.option(
    "--set",
    "values",
    multiple=True,
    required=True,
    help="champ=valeur, répétable (last_name, first_name, birth_date=JJ/MM/AAAA, address, "
    "postcode, city, district, contact_name, contact_phone, phones=n1,n2).",
)
@click.pass_context
def person_correct(ctx: click.Context, person_id: int, values: tuple[str, ...]) -> None:
    """Corrige les données de registre de la personne (règles de l'import)."""
    settings: Settings = settings_of(ctx)
    now = datetime.now(UTC)
    correction = check_correction(_changes(values), today=now.date())

    async def run() -> None:
        async with database(settings) as sessions:
            await PersonData(sessions).correct(person_id, correction, actor=_actor(), now=now)

    asyncio.run(run())
    click.echo(f"Personne {person_id} corrigée : {', '.join(correction.changed_fields())}")


@person.command("erase")
@click.argument("person_id", type=click.IntRange(min=1))
@click.option("--yes", "confirmed", is_flag=True, help="Confirme l'effacement (irréversible).")
@click.pass_context
def person_erase(ctx: click.Context, person_id: int, confirmed: bool) -> None:
    """Efface la personne, sauf ce que la loi impose de garder (listé)."""
    if not confirmed:
        raise InputError("--yes : l'effacement est irréversible, confirmez-le avec --yes")
    settings = settings_of(ctx)

    async def run() -> dict[str, int]:
        async with database(settings) as sessions:
            return await PersonData(sessions).erase(
                person_id, actor=_actor(), now=datetime.now(UTC)
            )

    done = asyncio.run(run())
    click.echo(f"Personne {person_id} effacée : " + ", ".join(f"{k} {v}" for k, v in done.items()))
    click.echo("Conservé (sans rien qui l'identifie) :")
    for item in KEPT_AFTER_ERASURE:
        click.echo(f"  - {item}")


@person.command("oppose")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_context
def person_oppose(ctx: click.Context, file: Path) -> None:
    """Enregistre les oppositions « ne plus appeler » d'un fichier CSV (« ; ») :
    identifiant;motif[;personne|proche]. Une ligne fautive est nommée (fichier:ligne) et
    rien n'est enregistré."""
    settings = settings_of(ctx)
    requests = read_oppositions(file)

    async def run() -> int:
        async with database(settings) as sessions:
            holds = await PersonHolds(sessions).oppose(
                requests, actor=cli_actor(), now=datetime.now(UTC), route=cli_route()
            )
            return len({hold.id for hold in holds})

    count = asyncio.run(run())
    click.echo(f"{count} personne(s) en opposition : plus aucune campagne ne les appellera.")
