"""``dialer teams``: the intervention teams, through the running service's REST API."""

from __future__ import annotations

import click

from dialer.cli.api_client import api_options, client


@click.group()
def teams() -> None:
    """Les équipes d'intervention (par l'API du service en marche)."""


@teams.command("list")
@api_options
@click.pass_context
def teams_list(ctx: click.Context, url: str | None, token: str | None) -> None:
    """Liste les équipes, leur périmètre et leurs membres."""
    with client(ctx, url, token) as api:
        rows = api.items("/teams")
    for row in rows:
        click.echo(
            f"n° {row['id']} {row['name']}{' (par défaut)' if row['is_default'] else ''} : "
            f"quartiers {', '.join(row['districts']) or 'tous'} ; "
            f"membres {', '.join(row['members']) or 'aucun'}"
        )


@teams.command("create")
@click.argument("name")
@click.option("--district", "districts", multiple=True, help="Quartier couvert (répétable).")
@click.option("--need", "needs", multiple=True, help="Besoin couvert (répétable).")
@click.option("--email", help="Adresse de l'équipe.")
@click.option("--default", "is_default", is_flag=True, help="Reçoit les alertes non couvertes.")
@api_options
@click.pass_context
def teams_create(
    ctx: click.Context,
    *,
    name: str,
    districts: tuple[str, ...],
    needs: tuple[str, ...],
    email: str | None,
    is_default: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Crée une équipe d'intervention."""
    body = {
        "name": name,
        "districts": list(districts),
        "needs": list(needs),
        "email": email,
        "is_default": is_default,
    }
    with client(ctx, url, token) as api:
        row = api.call("POST", "/teams", json=body)
    click.echo(f"Équipe « {row['name']} » créée (n° {row['id']}).")


@teams.command("members")
@click.argument("team_id", type=int)
@click.argument("usernames", nargs=-1)
@api_options
@click.pass_context
def teams_members(
    ctx: click.Context, team_id: int, usernames: tuple[str, ...], url: str | None, token: str | None
) -> None:
    """Fixe exactement les membres de l'équipe TEAM_ID."""
    with client(ctx, url, token) as api:
        row = api.call("PUT", f"/teams/{team_id}/members", json={"members": list(usernames)})
    click.echo(f"Équipe « {row['name']} » : {', '.join(row['members']) or 'aucun membre'}.")
