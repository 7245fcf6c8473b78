"""The register search of an unknown number's call: read as a name, a postcode or a
number; bounded; a few searches a minute per agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.core.inbound_search import (
    MAX_NOTE,
    SEARCHES_PER_WINDOW,
    RegisterSearch,
    read_note,
    read_search,
    search_wait_s,
)
from dialer.errors import InputError

T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("Dupont", RegisterSearch(name="Dupont")),
        ("  Jeanne   Dupont ", RegisterSearch(name="Jeanne Dupont")),
        ("75019", RegisterSearch(postcode="75019")),
        ("06 12 34 56 78", RegisterSearch(number_end="612345678")),
        ("+33 6 12 34 56 78", RegisterSearch(number_end="612345678")),
        ("Dupont 75019", RegisterSearch(name="Dupont", postcode="75019")),
    ],
)
def test_what_the_agent_types_is_read_as_a_name_a_postcode_or_a_number(
    typed: str, read: RegisterSearch
) -> None:
    assert read_search(typed) == read


@pytest.mark.parametrize("typed", ["", "ab", "12", "%%", "x" * 61])
def test_a_search_too_vague_or_too_long_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InputError, match="« q »"):
        read_search(typed)


def test_an_agent_searches_a_few_times_a_minute() -> None:
    done = [T0 + timedelta(seconds=i) for i in range(SEARCHES_PER_WINDOW - 1)]
    assert search_wait_s(done, T0 + timedelta(seconds=20)) == 0
    done.append(T0 + timedelta(seconds=30))
    assert search_wait_s(done, T0 + timedelta(seconds=30)) == 31
    assert search_wait_s(done, T0 + timedelta(seconds=60)) == 0  # the first is a minute old


def test_the_note_is_trimmed_and_bounded() -> None:
    assert read_note("  Sa voisine  ") == "Sa voisine"
    with pytest.raises(InputError, match="« note »"):
        read_note("   ")
    with pytest.raises(InputError, match="« note »"):
        read_note("x" * (MAX_NOTE + 1))
