"""Correcting one person's register data (the right to rectification): the same rules as
an import (:mod:`dialer.register.rows`), one field at a time, and a clear error naming the
field. Pure code, ``today`` passed in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from dialer.errors import InputError
from dialer.register.person_form import MAX_PHONES, refuse_hidden_characters
from dialer.register.phones import PhoneError, normalise_phone
from dialer.register.rows import _OLDEST_BIRTH, parse_date
from dialer.storage.people import PhoneRecord
from dialer.storage.person_data import PersonCorrection

#: the fields a correction may set, and the longest text each column stores
TEXT_FIELDS: dict[str, int] = {
    "last_name": 200,
    "first_name": 200,
    "address": 500,
    "postcode": 20,
    "city": 200,
    "district": 100,
    "contact_name": 200,
}
FIELDS = (*TEXT_FIELDS, "birth_date", "contact_phone", "phones")


def _text(name: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"champ « {name} » : texte attendu")
    value = value.strip()
    refuse_hidden_characters(name, value)
    return value


def check_correction(changes: Mapping[str, object], *, today: date) -> PersonCorrection:
    """``changes``: field name → new value (text; ``phones``: a list of numbers, or one
    text with numbers separated by commas). Raises :class:`InputError` naming the field."""
    if not changes:
        raise InputError(f"aucun champ à corriger (champs possibles : {', '.join(FIELDS)})")
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InputError(
            f"champ « {unknown[0][:40]} » : inconnu (champs possibles : {', '.join(FIELDS)})"
        )
    texts: dict[str, str | None] = {}
    cleared: set[str] = set()
    birth: date | None = None
    contact: str | None = None
    phones: list[PhoneRecord] | None = None
    for name, raw in changes.items():
        if name == "phones":
            phones = _phones(raw)
            continue
        value = _text(name, raw)
        if name in TEXT_FIELDS:
            texts[name] = _text_field(name, value)
        elif not value:
            cleared.add(name)
        elif name == "birth_date":
            birth = _birth_date(value, today)
        else:
            contact = _contact_phone(value)
    return PersonCorrection(texts, birth, contact, frozenset(cleared), phones)


def _text_field(name: str, value: str) -> str | None:
    if len(value) > TEXT_FIELDS[name]:
        raise InputError(f"champ « {name} » : {len(value)} caractères, {TEXT_FIELDS[name]} au plus")
    if name == "last_name" and not value:
        raise InputError("champ « last_name » : le nom est obligatoire")
    if name == "postcode" and len(value) == 4 and value.isdigit():
        value = "0" + value  # as an import: a spreadsheet dropped the leading zero
    return value if value or name == "first_name" else None


def _birth_date(value: str, today: date) -> date:
    birth = parse_date(value)
    if birth is None or not _OLDEST_BIRTH <= birth <= today:
        raise InputError(
            f"champ « birth_date » : date invalide « {value[:20]} » (attendu JJ/MM/AAAA)"
        )
    return birth


def _contact_phone(value: str) -> str:
    try:
        return normalise_phone(value).e164
    except PhoneError as error:
        raise InputError(f"champ « contact_phone » : {error.reason}") from None


def _phones(raw: object) -> list[PhoneRecord]:
    if isinstance(raw, str):
        values = [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]
    elif isinstance(raw, list) and all(isinstance(v, str) for v in raw):
        values = [v.strip() for v in raw if v.strip()]
    else:
        raise InputError("champ « phones » : une liste de numéros attendue")
    if not values:
        raise InputError("champ « phones » : au moins un numéro (la personne doit être joignable)")
    if len(values) > MAX_PHONES:
        raise InputError(f"champ « phones » : {MAX_PHONES} numéros au plus")
    phones: list[PhoneRecord] = []
    for position, value in enumerate(values, start=1):
        try:
            phone = normalise_phone(value)
        except PhoneError as error:
            raise InputError(f"champ « phones » (n° {position}) : {error.reason}") from None
        if phone.e164 not in {p.e164 for p in phones}:
            phones.append(phone)
    return phones
