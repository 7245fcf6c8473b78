"""Phone numbers as registers write them, to E.164.

"01 45 67 89 10", "+33 1 45 67 89 10", "+33 (0)1 45 67 89 10", "0033 1 45 67 89 10",
"06.12.34.56.78" and "145678910" (a leading zero lost in a spreadsheet) are all
``+33145678910``-style numbers. Validity is ``phonenumbers``' (the libphonenumber
numbering plans): a number must be a valid number of its country, French by default.

French numbers in the usual shapes take a fast path that applies the same French patterns
from ``phonenumbers``' own metadata (a full ``phonenumbers.parse`` costs about 80 µs, too
slow for a million-row register); anything else, and every number the fast path does not
accept, goes through ``phonenumbers`` itself, which also gives the reason of a refusal.
"""

from __future__ import annotations

import re
from functools import cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from dialer.core.phones import PhoneKind
from dialer.storage.people import PhoneRecord

DEFAULT_REGION = "FR"

#: what registers put between digits: deleted before the fast path looks at a number
_SEPARATORS = str.maketrans("", "", " .-/()\t\u00a0\u202f")

_KINDS: dict[int, PhoneKind] = {
    PhoneNumberType.MOBILE: PhoneKind.MOBILE,
    PhoneNumberType.FIXED_LINE: PhoneKind.LANDLINE,
    PhoneNumberType.VOIP: PhoneKind.VOIP,
}

_PARSE_REASONS: dict[int, str] = {
    NumberParseException.INVALID_COUNTRY_CODE: "indicatif de pays inconnu",
    NumberParseException.NOT_A_NUMBER: "ce n'est pas un numéro de téléphone",
    NumberParseException.TOO_SHORT_AFTER_IDD: "trop court après l'indicatif international",
    NumberParseException.TOO_SHORT_NSN: "trop court",
    NumberParseException.TOO_LONG: "trop long",
}

_LENGTH_REASONS: dict[int, str] = {
    ValidationResult.INVALID_COUNTRY_CODE: "indicatif de pays inconnu",
    ValidationResult.TOO_SHORT: "trop court",
    ValidationResult.TOO_LONG: "trop long",
    ValidationResult.INVALID_LENGTH: "nombre de chiffres impossible",
}


class PhoneError(ValueError):
    """A number that is not a valid number; ``reason`` says why, in French."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{value!r}: {reason}")
        self.value = value
        self.reason = reason


def normalise_phone(text: str, *, region: str = DEFAULT_REGION) -> PhoneRecord:
    """The number in E.164 and its kind; raises :class:`PhoneError` with the reason."""
    if region == "FR":
        national = _french_national(text.translate(_SEPARATORS))
        if national is not None:
            kind = _french_kind(national)
            if kind is not None:
                return PhoneRecord("+33" + national, kind)
    return _parse(text, region)


def _french_national(digits: str) -> str | None:
    """The 9-digit national number of "0XXXXXXXXX", "+33[0]XXXXXXXXX", "0033[0]XXXXXXXXX"
    or "XXXXXXXXX" (a spreadsheet dropped the 0); None for any other shape."""
    if digits.startswith("+33"):
        digits = digits[3:]
    elif digits.startswith("0033"):
        digits = digits[4:]
    if len(digits) == 10 and digits[0] == "0":
        digits = digits[1:]
    if len(digits) == 9 and digits[0] != "0" and digits.isdigit() and digits.isascii():
        return digits
    return None


#: the French numbering plan is prefix based: a 9-digit number's kind (or invalidity)
#: follows from its first digits, so kinds are kept by prefix (a million-row register
#: otherwise spends a fifth of its checking in this regular expression).
#: tests/register/test_phones.py checks the property on the metadata in use.
KIND_PREFIX = 5
_kinds_by_prefix: dict[str, PhoneKind | None] = {}


def _french_kind(national: str) -> PhoneKind | None:
    """The kind of a valid 9-digit French national number, None when not valid."""
    prefix = national[:KIND_PREFIX]
    try:
        return _kinds_by_prefix[prefix]
    except KeyError:
        kind = _kinds_by_prefix[prefix] = french_kind_exactly(national)
        return kind


def french_kind_exactly(national: str) -> PhoneKind | None:
    """:func:`_french_kind` from the number itself, every digit looked at."""
    pattern, kinds = _french_patterns()
    match = pattern.fullmatch(national)
    if match is None or match.lastgroup is None:
        return None
    return kinds[match.lastgroup]


@cache
def _french_patterns() -> tuple[re.Pattern[str], dict[str, PhoneKind]]:
    """The French number types of ``phonenumbers``' metadata, as one pattern whose
    alternatives come in ``phonenumbers``' own order of checks (first match wins)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("FR")
    if metadata is None or metadata.general_desc is None:  # pragma: no cover
        return re.compile(r"(?!)"), {}
    descriptions = (
        ("premium_rate", metadata.premium_rate, PhoneKind.OTHER),
        ("toll_free", metadata.toll_free, PhoneKind.OTHER),
        ("shared_cost", metadata.shared_cost, PhoneKind.OTHER),
        ("voip", metadata.voip, PhoneKind.VOIP),
        ("personal_number", metadata.personal_number, PhoneKind.OTHER),
        ("pager", metadata.pager, PhoneKind.OTHER),
        ("uan", metadata.uan, PhoneKind.OTHER),
        ("voicemail", metadata.voicemail, PhoneKind.OTHER),
        ("fixed_line", metadata.fixed_line, PhoneKind.LANDLINE),
        ("mobile", metadata.mobile, PhoneKind.MOBILE),
    )
    alternatives = []
    kinds: dict[str, PhoneKind] = {}
    for name, description, kind in descriptions:
        if description is None or not description.national_number_pattern:
            continue
        if description.possible_length and 9 not in description.possible_length:
            continue
        alternatives.append(f"(?P<{name}>{description.national_number_pattern})")
        kinds[name] = kind
    general = metadata.general_desc.national_number_pattern
    return re.compile(f"(?=(?:{general})$)(?:{'|'.join(alternatives)})"), kinds


def _parse(text: str, region: str) -> PhoneRecord:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "illisible")
        raise PhoneError(text, f"numéro invalide : {reason}") from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        reason = _LENGTH_REASONS.get(possible, "longueur impossible")
        raise PhoneError(text, f"numéro invalide : {reason}")
    if not phonenumbers.is_valid_number(number):
        country = phonenumbers.region_code_for_country_code(number.country_code or 0)
        where = "en France" if country == "FR" else f"pour l'indicatif +{number.country_code}"
        raise PhoneError(text, f"numéro invalide : ce numéro n'existe pas {where}")
    kind = _KINDS.get(phonenumbers.number_type(number), PhoneKind.OTHER)
    return PhoneRecord(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), kind
    )
