"""One person given field by field (the city's online sign-up form, ``PUT
/api/v1/people/{external_id}``), checked by the importer's own rules: the form becomes a
one-row register (:class:`~dialer.register.columns.ColumnMap`) that
:class:`~dialer.register.rows.RowChecker` checks like any row of a file, so a person
given one at a time is stored exactly as an import would store them (same numbers, dates,
postcodes, flags, lengths, fingerprint).

One difference, on purpose: what an import reports and goes past (an invalid secondary
number, a birth date it cannot read) is refused here. A file of 10,000 rows cannot stop at
each doubtful value; a form can ask the person again. Every problem is an
:class:`~dialer.errors.InputError` naming the field (``champ « birth_date » : …``).

Pure code: ``today`` is passed in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from dialer.errors import InputError
from dialer.register.columns import FIELD_LABELS_FR, ColumnMap, Field
from dialer.register.issues import ImportIssue
from dialer.register.rows import RowChecker
from dialer.storage.people import PersonRecord, person_field_lengths

#: the most characters each text field holds (the table's own definition)
LENGTHS = person_field_lengths()
#: at most this many numbers per person
MAX_PHONES = 10
#: an id given one at a time: it travels in a URL path, so letters and digits, then also
#: ``. _ - :`` (no slash, no space, no ``..``), and it fits the register's column
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*", re.ASCII)
#: the register's own keys, never given from outside: ``auto:`` (an import without an id
#: column derives one), ``efface:`` (an erased person)
RESERVED_PREFIXES = ("auto:", "efface:")
#: the text fields of a form, in the order of the one-row register's columns
TEXT_FIELDS = (
    Field.EXTERNAL_ID,
    Field.LAST_NAME,
    Field.FIRST_NAME,
    Field.BIRTH_DATE,
    Field.ADDRESS,
    Field.POSTCODE,
    Field.CITY,
    Field.DISTRICT,
    Field.CONTACT_NAME,
    Field.CONTACT_PHONE,
)
#: characters that are invisible but reorder or hide text (bidirectional overrides)
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: a problem as the form tells it: only the reason, after what the import does with the
#: row ("ligne rejetée : ", "numéro ignoré : "...), which has no meaning for one person
_TOLD_PROBLEMS = 3


@dataclass(frozen=True)
class PersonForm:
    """A person as the sign-up form gives them (text as typed; "" when not given).
    ``phones`` in order of preference; ``disability`` and ``medical``: what the form says
    of them (empty, or a word like « non », means no)."""

    external_id: str
    last_name: str
    first_name: str = ""
    birth_date: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    district: str = ""
    phones: Sequence[str] = ()
    contact_name: str = ""
    contact_phone: str = ""
    disability: str = ""
    medical: str = ""


def check_external_id(value: str) -> str:
    """The id as the register keeps it; :class:`InputError` naming ``external_id`` when it
    cannot be one given from outside."""
    refuse_hidden_characters("external_id", value)
    most = LENGTHS["external_id"]
    if len(value) > most:
        raise InputError(f"champ « external_id » : {len(value)} caractères, {most} au plus")
    if not EXTERNAL_ID.fullmatch(value) or ".." in value:
        raise InputError(
            "champ « external_id » : lettres et chiffres, puis aussi « . », « _ », « - » "
            "ou « : » (pas d'espace, pas de « / », pas de « .. »)"
        )
    if value.lower().startswith(RESERVED_PREFIXES):
        raise InputError(
            f"champ « external_id » : les préfixes {', '.join(RESERVED_PREFIXES)} sont "
            "réservés au registre"
        )
    return value


def refuse_hidden_characters(name: str, value: str) -> None:
    """:class:`InputError` naming the field when ``value`` holds a control character (a
    new line, a tab, a NUL...) or an invisible character that reorders text."""
    for character in value:
        if unicodedata.category(character) == "Cc" or character in _BIDI_CONTROLS:
            raise InputError(f"champ « {name} » : caractères de contrôle interdits")


def check_person_form(form: PersonForm, *, today: date) -> PersonRecord:
    """The person to store, by the importer's rules; :class:`InputError` naming the field
    (the first three problems, separated by « ; »)."""
    check_external_id(form.external_id)
    texts = {field: str(getattr(form, field.value)).strip() for field in TEXT_FIELDS}
    flags = {Field.DISABILITY: form.disability.strip(), Field.MEDICAL: form.medical.strip()}
    if len(form.phones) > MAX_PHONES:
        raise InputError(f"champ « phones » : {MAX_PHONES} numéros au plus")
    phones = [phone.strip() for phone in form.phones] or [""]
    for field, value in (*texts.items(), *flags.items()):
        refuse_hidden_characters(field.value, value)
    for position, phone in enumerate(phones):
        refuse_hidden_characters(f"phones.{position}", phone)
    columns = _one_row_register(len(phones))
    cells = [*texts.values(), *flags.values(), *phones]
    problems: list[ImportIssue] = []
    checked = RowChecker(columns, today=today, report=problems.append).check(1, cells)
    if problems:
        raise InputError("; ".join(_told(problem) for problem in problems[:_TOLD_PROBLEMS]))
    if checked is None or checked.record is None:  # the checker always says why
        raise InputError("champ « last_name » : personne refusée")
    return checked.record


def _one_row_register(phones: int) -> ColumnMap:
    """The columns of a form as a register's: each named by its field (so the checker's
    reports name the form's field); the flags' columns by their French names (the
    register keeps them under their column's name), the numbers ``phones.0``, ``phones.1``…"""
    headers = [field.value for field in TEXT_FIELDS]
    headers += [FIELD_LABELS_FR[Field.DISABILITY], FIELD_LABELS_FR[Field.MEDICAL]]
    first_phone = len(headers)
    headers += [f"phones.{position}" for position in range(phones)]
    return ColumnMap(
        headers=headers,
        single={
            field: index for index, field in enumerate(TEXT_FIELDS) if field is not Field.ADDRESS
        },
        phones=[(first_phone + position, Field.PHONE) for position in range(phones)],
        addresses=[TEXT_FIELDS.index(Field.ADDRESS)],
        disability=[len(TEXT_FIELDS)],
        medical=[len(TEXT_FIELDS) + 1],
    )


def _told(problem: ImportIssue) -> str:
    reason = problem.reason.partition(" : ")[2] or problem.reason
    return f"champ « {problem.column} » : {reason}"
