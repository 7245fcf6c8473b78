"""``dialer volunteers``: the volunteers of the veille sociale, on the server itself, in
the database: ``list``, ``train`` (the training completed: its date and the supervisor
who gave it; only a trained volunteer takes calls), ``coordinator``, ``slots``
(availability) and ``assign`` (a household of a veille-sociale campaign to a volunteer).
The volunteer's account is created first (``dialer users create NAME --role volunteer``).
Audited as ``cli:<system user>``."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import click

from dialer.cli.context import cli_actor, cli_route, database, settings_of
from dialer.consent_files import parse_day
from dialer.core.volunteers import parse_slot
from dialer.errors import InputError
from dialer.storage.volunteer_calls import Assigned, VolunteerCalls
from dialer.storage.volunteers import Volunteer, VolunteerRoster


def describe(volunteer: Volunteer) -> str:
    """One line about the volunteer, in French."""
    trained = (
        f"formé(e) le {volunteer.trained_on:%d/%m/%Y} par {volunteer.trained_by}"
        if volunteer.trained_on is not None
        else "pas encore formé(e)"
    )
    slots = ", ".join(str(slot) for slot in volunteer.slots) or "aucun créneau"
    coordinator = volunteer.coordinator or "aucun"
    active = "" if volunteer.active else " (désactivé)"
    return f"{volunteer.username}{active} : {trained} ; coordinateur : {coordinator} ; {slots}"


@click.group("volunteers")
def volunteers() -> None:
    """Les bénévoles de la veille sociale : formation, coordinateur, disponibilités."""


@volunteers.command("list")
@click.pass_context
def volunteers_list(ctx: click.Context) -> None:
    """Les bénévoles, leur formation, leur coordinateur et leurs créneaux."""
    settings = settings_of(ctx)

    async def run() -> list[Volunteer]:
        async with database(settings) as sessions:
            return await VolunteerRoster(sessions).list()

    found = asyncio.run(run())
    if not found:
        click.echo("Aucun bénévole.")
    for volunteer in found:
        click.echo(describe(volunteer))


@volunteers.command("train")
@click.argument("name")
@click.option("--by", "trained_by", required=True, help="Le superviseur qui a formé le bénévole.")
@click.option("--on", "day", help="La date de la formation, JJ/MM/AAAA (défaut : aujourd'hui).")
@click.pass_context
def volunteers_train(ctx: click.Context, name: str, trained_by: str, day: str | None) -> None:
    """Enregistre la formation suivie par le bénévole NAME (il peut alors prendre des appels)."""
    settings = settings_of(ctx)
    now = datetime.now(UTC)
    trained_on: date | None = now.date() if day is None else parse_day(day)
    if trained_on is None:
        raise InputError(f"--on « {day} » : date JJ/MM/AAAA attendue")

    async def run() -> Volunteer:
        async with database(settings) as sessions:
            return await VolunteerRoster(sessions).train(
                name,
                trained_by=trained_by,
                trained_on=trained_on,
                actor=cli_actor(),
                now=now,
                route=cli_route(),
            )

    click.echo(describe(asyncio.run(run())))


@volunteers.command("coordinator")
@click.argument("name")
@click.argument("supervisor")
@click.pass_context
def volunteers_coordinator(ctx: click.Context, name: str, supervisor: str) -> None:
    """Le superviseur SUPERVISOR coordonne désormais le bénévole NAME."""
    settings = settings_of(ctx)

    async def run() -> Volunteer:
        async with database(settings) as sessions:
            return await VolunteerRoster(sessions).assign(
                name,
                coordinator=supervisor,
                actor=cli_actor(),
                now=datetime.now(UTC),
                route=cli_route(),
            )

    click.echo(describe(asyncio.run(run())))


@volunteers.command("slots")
@click.argument("name")
@click.argument("slots", nargs=-1)
@click.pass_context
def volunteers_slots(ctx: click.Context, name: str, slots: tuple[str, ...]) -> None:
    """Remplace les créneaux de disponibilité du bénévole NAME (« lundi 14:00-17:00 » …)."""
    settings = settings_of(ctx)
    parsed = [parse_slot(text, field="créneau") for text in slots]

    async def run() -> Volunteer:
        async with database(settings) as sessions:
            return await VolunteerRoster(sessions).set_slots(
                name, parsed, actor=cli_actor(), now=datetime.now(UTC), route=cli_route()
            )

    click.echo(describe(asyncio.run(run())))


@volunteers.command("assign")
@click.argument("campaign", type=int)
@click.argument("household")
@click.argument("volunteer")
@click.pass_context
def volunteers_assign(ctx: click.Context, campaign: int, household: str, volunteer: str) -> None:
    """Confie le foyer HOUSEHOLD (son identifiant) de la campagne de veille sociale
    CAMPAIGN au bénévole VOLUNTEER (ou à un superviseur qui le reprend) : il n'est plus
    proposé qu'à lui."""
    settings = settings_of(ctx)

    async def run() -> Assigned:
        async with database(settings) as sessions:
            return await VolunteerCalls(sessions).assign(
                campaign, household, volunteer, actor=cli_actor(), now=datetime.now(UTC),
                route=cli_route(),
            )  # fmt: skip

    row = asyncio.run(run())
    click.echo(f"{row.name} ({row.external_id}) : confié à {row.account}")
