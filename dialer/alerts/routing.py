"""Which intervention teams receive an alert: pure rules.

A team's scope is a list of districts and a list of kinds of need; an empty list covers
them all. An alert goes to every team whose scope covers the person's district AND the
alert's need. When none does, it goes to the default team, and the alert says so; when
there is no default team either, it is kept unassigned (supervisors see it). The default
team is the fallback only: its own scope is not matched.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TeamScope:
    team_id: int
    name: str
    districts: Collection[str] = ()
    needs: Collection[str] = ()
    is_default: bool = False

    def covers(self, district: str | None, need: str) -> bool:
        return self.covers_need(need) and self.covers_district(district)

    def covers_need(self, need: str) -> bool:
        return not self.needs or need in self.needs

    def covers_district(self, district: str | None) -> bool:
        if not self.districts:
            return True
        if district is None:
            return False
        wanted = _district_key(district)
        return any(_district_key(d) == wanted for d in self.districts)


@dataclass(frozen=True)
class Route:
    """The teams an alert goes to; ``by_default`` when no scope matched."""

    team_ids: tuple[int, ...]
    by_default: bool = False

    @property
    def unassigned(self) -> bool:
        return not self.team_ids


def route(need: str, district: str | None, teams: Sequence[TeamScope]) -> Route:
    """The teams for an alert of ``need`` about a person living in ``district``."""
    matching = tuple(
        team.team_id for team in teams if not team.is_default and team.covers(district, need)
    )
    if matching:
        return Route(matching)
    default = next((team for team in teams if team.is_default), None)
    if default is not None:
        return Route((default.team_id,), by_default=True)
    return Route((), by_default=True)


def covering_team(district: str | None, teams: Sequence[TeamScope]) -> TeamScope | None:
    """The team on duty for a person living in ``district`` whatever the need (a transfer
    to its duty phone): the first team naming it among its districts (a team naming none
    covers everyone for its needs only), else the default team."""
    return next(
        (
            team
            for team in teams
            if not team.is_default and team.districts and team.covers_district(district)
        ),
        next((team for team in teams if team.is_default), None),
    )


def _district_key(district: str) -> str:
    return " ".join(district.split()).casefold()
