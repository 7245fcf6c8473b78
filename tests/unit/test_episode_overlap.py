"""Several alert episodes at once (issue 17): a city-wide heatwave and a flood in one
district last side by side; never two of one kind over a shared area; ending « the »
episode without naming it is refused when several last."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialer.core.episodes import AlertKind, EpisodeView, check_may_start, overlaps, the_one_running
from dialer.errors import ConflictError

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


def episode(number: int, kind: AlertKind, *districts: str, ended: bool = False) -> EpisodeView:
    return EpisodeView(number, kind, 3, districts, T0, "x", T0 if ended else None, None, number)


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ((), (), True),
        ((), ("Sud",), True),
        (("Nord",), ("Sud",), False),
        (("Nord", "Sud"), ("Sud",), True),
    ],
)
def test_areas_overlap_when_they_share_a_district_or_one_is_the_city(
    first: tuple[str, ...], second: tuple[str, ...], shared: bool
) -> None:
    assert overlaps(first, second) is shared
    assert overlaps(second, first) is shared


def test_a_flood_in_a_district_starts_during_a_city_wide_heatwave() -> None:
    running = [episode(1, AlertKind.HEATWAVE)]
    check_may_start(running, AlertKind.FLOOD, ("Sud",))
    check_may_start([*running, episode(2, AlertKind.FLOOD, "Sud")], AlertKind.FLOOD, ("Nord",))


def test_two_of_one_kind_over_a_shared_area_are_refused() -> None:
    running = [episode(1, AlertKind.HEATWAVE), episode(2, AlertKind.FLOOD, "Sud")]
    with pytest.raises(ConflictError, match="n° 2"):
        check_may_start(running, AlertKind.FLOOD, ())
    with pytest.raises(ConflictError, match="n° 1"):
        check_may_start(running, AlertKind.HEATWAVE, ("Nord",))
    check_may_start([episode(1, AlertKind.HEATWAVE, ended=True)], AlertKind.HEATWAVE, ())


def test_the_one_to_end_unnamed_is_the_only_one_lasting() -> None:
    with pytest.raises(ConflictError, match="aucun épisode"):
        the_one_running([])
    assert the_one_running([episode(1, AlertKind.HEATWAVE)]).id == 1
    with pytest.raises(ConflictError, match=r"plusieurs épisodes d'alerte en cours \(n° 1, n° 2\)"):
        the_one_running([episode(1, AlertKind.HEATWAVE), episode(2, AlertKind.FLOOD, "Sud")])
