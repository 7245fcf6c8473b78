from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.core.phones import PhoneKind
from dialer.register.phones import (
    KIND_PREFIX,
    PhoneError,
    _parse,
    french_kind_exactly,
    normalise_phone,
)
from dialer.storage import PhoneRecord


@pytest.mark.parametrize(
    "written",
    [
        "01 45 67 89 10",
        "+33 1 45 67 89 10",
        "0033 1 45 67 89 10",
        "01.45.67.89.10",
        "01-45-67-89-10",
        "0145678910",
        "+33 (0)1 45 67 89 10",
        "145678910",  # a spreadsheet dropped the leading zero
        " 01\u00a045\u00a067\u00a089\u00a010 ",
    ],
)
def test_french_landline_formats(written: str) -> None:
    assert normalise_phone(written) == PhoneRecord("+33145678910", PhoneKind.LANDLINE)


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("06.12.34.56.78", PhoneKind.MOBILE),
        ("07 81 22 33 44", PhoneKind.MOBILE),
        ("09 70 12 34 56", PhoneKind.VOIP),
        ("0800 12 34 56", PhoneKind.OTHER),
    ],
)
def test_kinds_come_from_the_numbering_plan(written: str, kind: PhoneKind) -> None:
    assert normalise_phone(written).kind is kind


@pytest.mark.parametrize("region", ["GB", "BE", "DE", "RE", "US"])
def test_valid_international_numbers_are_kept(region: str) -> None:
    example = phonenumbers.example_number(region)
    assert example is not None
    international = phonenumbers.format_number(
        example, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    assert normalise_phone(international).e164 == e164


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("06 12 34", "trop court"),
        ("01 23 45 67 89 10 11", "trop long"),
        ("n/a", "ce n'est pas un numéro de téléphone"),
        ("00 00 00 00 00", "n'existe pas en France"),
        ("+44 1", "trop court"),
        ("+999 1234 5678", "indicatif de pays inconnu"),
        ("02 62 12 34 56", "n'existe pas en France"),  # a Réunion number without +262
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(written: str, reason: str) -> None:
    with pytest.raises(PhoneError) as caught:
        normalise_phone(written)
    assert reason in caught.value.reason
    assert caught.value.reason.startswith("numéro invalide : ")
    assert caught.value.value == written


_SEPARATORS = st.sampled_from(["", " ", ".", "-", "\u00a0"])


@st.composite
def french_shaped(draw: st.DrawFn) -> str:
    national = draw(st.from_regex(r"[0-9]{9}", fullmatch=True))
    prefix = draw(st.sampled_from(["0", "+33", "+33 ", "0033 ", "+33 (0)", "", "0"]))
    separator = draw(_SEPARATORS)
    groups = [national[0], national[1:3], national[3:5], national[5:7], national[7:9]]
    return prefix + separator.join(groups)


def outcome(written: str, *, fast: bool) -> PhoneRecord | str:
    """The normalised number, or the reason of the refusal."""
    try:
        return normalise_phone(written) if fast else _parse(written, "FR")
    except PhoneError as error:
        return error.reason


@given(french_shaped())
def test_the_fast_path_agrees_with_phonenumbers(written: str) -> None:
    """The French fast path never accepts what phonenumbers refuses, nor differs from it."""
    assert outcome(written, fast=True) == outcome(written, fast=False)


def test_a_french_numbers_kind_follows_from_its_prefix() -> None:
    """What lets the kinds be kept by prefix: for every prefix, numbers that differ only
    after it have the same kind (or are all invalid), by phonenumbers' own patterns."""
    tail = 9 - KIND_PREFIX
    suffixes = ["0" * tail, "9" * tail, "1234567890"[:tail], "5678901234"[:tail]]
    for number in range(10**KIND_PREFIX):
        prefix = f"{number:0{KIND_PREFIX}d}"
        kinds = {french_kind_exactly(prefix + suffix) for suffix in suffixes}
        assert len(kinds) == 1, (prefix, kinds)
