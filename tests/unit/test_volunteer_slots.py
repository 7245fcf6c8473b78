"""A volunteer's availability slots (:mod:`dialer.core.volunteers`): written in French,
checked, and read to say who is available now or next and whether a follow-up falls
outside them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.core.volunteers import (
    MAX_SLOTS,
    Slot,
    availability_text,
    checked_slots,
    follow_up_outside_slots,
    next_available,
    parse_slot,
    within_slots,
)
from dialer.errors import InputError

PARIS = ZoneInfo("Europe/Paris")
#: a Monday, 11:00 in Paris
MONDAY = datetime(2026, 7, 13, 11, 0, tzinfo=PARIS)
SLOTS = [parse_slot("lundi 10:00-12:00"), parse_slot("jeudi 14:00-17:00")]


def test_a_slot_is_read_in_french_and_bad_ones_are_named() -> None:
    assert str(parse_slot(" Mardi 9:30 - 12:00 ")) == "mardi 09:30-12:00"
    for text, why in (
        ("lundi", "attendu"),
        ("funday 10:00-11:00", "attendu"),
        ("lundi 25:00-26:00", "heure invalide"),
        ("lundi 12:00-10:00", "la fin doit suivre"),
    ):
        with pytest.raises(InputError, match=why) as error:
            parse_slot(text, field="creneaux")
        assert "« creneaux »" in str(error.value)
    with pytest.raises(InputError, match="se chevauchent"):
        checked_slots([parse_slot("lundi 10:00-12:00"), parse_slot("lundi 11:00-13:00")])
    hour = parse_slot("lundi 10:00-11:00")
    too_many = [Slot(d % 7, hour.starts, hour.ends) for d in range(MAX_SLOTS + 1)]
    with pytest.raises(InputError, match=f"{MAX_SLOTS} créneaux au plus"):
        checked_slots(too_many)


def test_available_now_next_or_never() -> None:
    assert within_slots(SLOTS, MONDAY)
    assert not within_slots(SLOTS, MONDAY.replace(hour=12))  # the end is not in it
    assert availability_text(SLOTS, MONDAY) == "disponible maintenant"
    assert next_available(SLOTS, MONDAY.replace(hour=12)) == datetime(
        2026, 7, 16, 14, 0, tzinfo=PARIS
    )
    assert (
        availability_text(SLOTS, MONDAY.replace(hour=12))
        == "prochain créneau : jeudi 16/07 à 14:00"
    )
    # after Thursday's slot: next Monday's
    friday = datetime(2026, 7, 17, 9, 0, tzinfo=PARIS)
    assert next_available(SLOTS, friday) == datetime(2026, 7, 20, 10, 0, tzinfo=PARIS)
    assert next_available([], MONDAY) is None
    assert availability_text([], MONDAY) == "aucun créneau"


def test_a_follow_up_outside_the_slots_is_pointed_out_with_the_next_one() -> None:
    assert follow_up_outside_slots(SLOTS, MONDAY) is None
    assert follow_up_outside_slots([], MONDAY.replace(hour=20)) is None  # no slots: no warning
    said = follow_up_outside_slots(SLOTS, datetime(2026, 7, 16, 11, 0, tzinfo=PARIS))
    assert said == (
        "Ce suivi tombe en dehors de vos disponibilités ; "
        "votre créneau suivant : jeudi 16/07 à 14:00."
    )


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 22), st.integers(1, 60)), max_size=6),
    st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001
        max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    ),
)
def test_the_next_available_moment_is_in_a_slot_and_none_comes_sooner(
    raw: list[tuple[int, int, int]], naive: datetime
) -> None:
    slots: list[Slot] = []
    for day, hour, minutes in raw:
        starts = datetime(2026, 1, 1, hour, 0)  # noqa: DTZ001
        ends = starts + timedelta(minutes=minutes)
        slot = Slot(day, starts.time(), ends.time())
        if all(s.day != day or s.ends <= slot.starts or slot.ends <= s.starts for s in slots):
            slots.append(slot)
    local = naive.replace(tzinfo=PARIS)
    found = next_available(slots, local)
    if not slots:
        assert found is None
        return
    assert found is not None
    assert found >= local
    assert within_slots(slots, found)
    # no earlier moment (minute by minute, up to it) is within a slot
    probe = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < found and probe - local < timedelta(days=8):
        assert not within_slots(slots, probe)
        probe += timedelta(minutes=1)
