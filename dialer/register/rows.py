"""Checking one row of a register: who it is, and the person it gives, or why not.

Pure code (no I/O): :class:`RowChecker` turns ``(line, cells)`` into a :class:`CheckedRow`
and hands each problem it finds to an issue sink; :func:`merge` unites the rows of a
person the file lists twice.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from dialer.core.phones import PhoneKind
from dialer.register.columns import ColumnMap, Field
from dialer.register.issues import ImportIssue, IssueKind
from dialer.register.phones import PhoneError, normalise_phone
from dialer.storage.people import PersonRecord, PhoneRecord, person_field_lengths

_FALSE_FLAGS = frozenset({"", "0", "non", "n", "no", "false", "faux", "aucun", "aucune", "neant"})
_COLUMN_KINDS = {Field.MOBILE: PhoneKind.MOBILE, Field.LANDLINE: PhoneKind.LANDLINE}
_OTHER = PhoneKind.OTHER
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_DATE_SHAPES = (
    re.compile(r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"),
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T][\d:.]+)?"),
)
_OLDEST_BIRTH = date(1880, 1, 1)
#: the most characters each text field of a person holds (the table's own definition)
_LENGTHS = person_field_lengths()
#: the characters of a too-long value shown in the report
_SHOWN = 40


@dataclass(slots=True)
class CheckedRow:
    """A row that names someone (a last name, or an id). ``key``: the external id, else
    derived from the identity; ``identity``: a 64-bit digest of last name, first name and
    birth date (None without a valid birth date); ``key_cell``: the cell that names the
    row in a duplicate's report; ``record``: the person, None when the row is rejected."""

    line: int
    key: str
    identity: int | None
    key_cell: str
    record: PersonRecord | None


class RowChecker:
    """Checks the rows of one file (``columns``), ``today`` bounding birth dates."""

    def __init__(
        self, columns: ColumnMap, *, today: date, report: Callable[[ImportIssue], None]
    ) -> None:
        self.columns = columns
        self.today = today
        self.report = report
        self.width = len(columns.headers)
        single = columns.single
        blank = self.width  # a padding cell, always empty, that absent columns point to
        self.last_name = single[Field.LAST_NAME]
        self.first_name = single.get(Field.FIRST_NAME, blank)
        self.birth_date = single.get(Field.BIRTH_DATE, blank)
        self.postcode = single.get(Field.POSTCODE, blank)
        self.city = single.get(Field.CITY, blank)
        self.district = single.get(Field.DISTRICT, blank)
        self.contact_name = single.get(Field.CONTACT_NAME, blank)
        self.contact_phone = single.get(Field.CONTACT_PHONE, blank)
        self.external_id = single.get(Field.EXTERNAL_ID)
        self.key_column = self.external_id if self.external_id is not None else self.last_name
        self.addresses = tuple(columns.addresses)
        self.phones = tuple(columns.phones)
        #: the disability and medical columns: (index, header, medical?)
        self.flags = tuple(
            [(index, columns.header(index), False) for index in columns.disability]
            + [(index, columns.header(index), True) for index in columns.medical]
        )
        #: the record's text fields with a bound: (field, column to report, most characters)
        address = self.addresses[0] if self.addresses else blank
        self.bounded = tuple(
            (name, column, _LENGTHS[name])
            for name, column in (
                ("last_name", self.last_name),
                ("first_name", self.first_name),
                ("address", address),
                ("postcode", self.postcode),
                ("city", self.city),
                ("district", self.district),
                ("contact_name", self.contact_name),
            )
        )

    def check(self, line: int, cells: list[str]) -> CheckedRow | None:
        """The row checked (its problems reported); None when it names nobody (no last
        name, and no id)."""
        width = self.width
        too_wide = len(cells) > width and any(cells[width:])
        row = cells
        if too_wide:
            row = [*cells[:width], ""]
        elif len(cells) <= width:
            cells.extend([""] * (width + 1 - len(cells)))
        last_name = row[self.last_name]
        if too_wide:
            self._reject(
                line,
                "",
                next(cell for cell in cells[width:] if cell),
                f"ligne rejetée : {len(cells)} valeurs pour {width} colonnes "
                "(séparateur en trop ?)",
                cells,
            )
            if last_name:
                return self._who(line, row, parse_date(row[self.birth_date]))
            return self._by_id(line, row)
        if not last_name:
            self._reject(
                line,
                self.columns.header(self.last_name),
                "",
                "ligne rejetée : nom manquant",
                cells,
            )
            return self._by_id(line, cells)
        if self.external_id is not None and self._too_long(
            line, cells, self.external_id, cells[self.external_id], _LENGTHS["external_id"]
        ):
            return None  # an id the register cannot hold names nobody in it
        birth_text = cells[self.birth_date]
        birth = parse_date(birth_text)
        checked = self._who(line, cells, birth)
        phones = self._phones(line, cells)
        if not phones:
            return checked
        if birth is not None and not _OLDEST_BIRTH <= birth <= self.today:
            birth = None
        if birth is None and birth_text:
            self._ignore(
                line,
                self.columns.header(self.birth_date),
                birth_text,
                "date de naissance ignorée : date invalide (attendu JJ/MM/AAAA)",
                cells,
            )
        record = PersonRecord(
            external_id=checked.key,
            last_name=last_name,
            first_name=cells[self.first_name],
            birth_date=birth,
            address=" ".join([v for i in self.addresses if (v := cells[i])]) or None,
            postcode=_postcode(cells[self.postcode]),
            city=cells[self.city] or None,
            district=cells[self.district] or None,
            contact_name=cells[self.contact_name] or None,
            contact_phone=self._contact_phone(line, cells),
            phones=phones,
        )
        if self.flags:
            self._flags(record, cells)
        for name, column, most in self.bounded:
            value = getattr(record, name)
            if value is not None and self._too_long(line, cells, column, value, most):
                return checked  # rejected: its person stays as stored
        checked.record = record
        return checked

    def _too_long(self, line: int, cells: list[str], column: int, value: str, most: int) -> bool:
        """Reject the row when ``value`` is longer than the register holds."""
        if len(value) <= most:
            return False
        shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "…"
        reason = f"ligne rejetée : texte trop long ({len(value)} caractères, au plus {most})"
        self._reject(line, self.columns.header(column), shown, reason, cells)
        return True

    def _by_id(self, line: int, cells: list[str]) -> CheckedRow | None:
        """A rejected row without a last name still names the person of its id (who then
        stays on the register); None without an id."""
        if self.external_id is None or not cells[self.external_id]:
            return None
        return CheckedRow(line, cells[self.external_id], None, cells[self.external_id], None)

    def _who(self, line: int, cells: list[str], birth: date | None) -> CheckedRow:
        """The row's key and identity (its record to be filled)."""
        last_name = cells[self.last_name]
        first_name = cells[self.first_name]
        identity_text = None
        if birth is not None:
            identity_text = f"{plain(last_name)}|{plain(first_name)}|{birth.isoformat()}"
        external_id = cells[self.external_id] if self.external_id is not None else ""
        if external_id:
            key = external_id
        else:
            basis = identity_text or (
                f"{plain(last_name)}|{plain(first_name)}|"
                f"{plain(' '.join(cells[i] for i in self.columns.addresses))}"
            )
            key = "auto:" + hashlib.blake2b(basis.encode(), digest_size=10).hexdigest()
        identity = None
        if identity_text is not None:
            digest = hashlib.blake2b(identity_text.encode(), digest_size=8).digest()
            identity = int.from_bytes(digest, "big", signed=True)
        return CheckedRow(line, key, identity, cells[self.key_column], None)

    def _phones(self, line: int, cells: list[str]) -> list[PhoneRecord]:
        """The row's valid numbers in order, duplicates dropped. Invalid ones are reported:
        as ignored values when another number is valid, else as the row's rejection."""
        problems: list[tuple[int, str, str]] = []
        phones: list[PhoneRecord] = []
        numbers: list[str] = []
        present = False
        for index, column_field in self.phones:
            value = cells[index]
            if not value:
                continue
            present = True
            try:
                phone = normalise_phone(value)
            except PhoneError as error:
                problems.append((index, value, error.reason))
                continue
            if phone.e164 not in numbers:
                if phone.kind is _OTHER and column_field in _COLUMN_KINDS:
                    phone = PhoneRecord(phone.e164, _COLUMN_KINDS[column_field])
                phones.append(phone)
                numbers.append(phone.e164)
        if not phones or problems:
            self._phone_problems(line, cells, problems, present=present, kept=bool(phones))
        return phones

    def _phone_problems(
        self,
        line: int,
        cells: list[str],
        problems: list[tuple[int, str, str]],
        *,
        present: bool,
        kept: bool,
    ) -> None:
        header = self.columns.header
        if kept:
            for index, value, reason in problems:
                self._ignore(line, header(index), value, f"numéro ignoré : {reason}", cells)
            return
        if not present:
            names = ", ".join(f"« {header(i)} »" for i, _ in self.phones)
            reason = f"ligne rejetée : aucun numéro de téléphone ({names} vides)"
            self._reject(line, header(self.phones[0][0]), "", reason, cells)
        for index, value, problem in problems:
            reason = f"ligne rejetée, aucun numéro valide : {problem}"
            self._reject(line, header(index), value, reason, cells)

    def _contact_phone(self, line: int, cells: list[str]) -> str | None:
        text = cells[self.contact_phone]
        if not text:
            return None
        try:
            return normalise_phone(text).e164
        except PhoneError as error:
            self._ignore(
                line,
                self.columns.header(self.contact_phone),
                text,
                f"numéro du contact ignoré : {error.reason}",
                cells,
            )
            return None

    def _flags(self, record: PersonRecord, cells: list[str]) -> None:
        flags = record.register_flags
        for index, header, is_medical in self.flags:
            value = cells[index]
            if not value:
                continue
            flags[header] = value
            if plain(value) not in _FALSE_FLAGS:
                if is_medical:
                    record.medical_flag = True
                else:
                    record.disabled = True

    def _reject(self, line: int, column: str, value: str, reason: str, cells: list[str]) -> None:
        row = self._original(cells)
        self.report(ImportIssue(IssueKind.REJECTED_ROW, line, column, value, reason, row))

    def _ignore(self, line: int, column: str, value: str, reason: str, cells: list[str]) -> None:
        row = self._original(cells)
        self.report(ImportIssue(IssueKind.IGNORED_VALUE, line, column, value, reason, row))

    def _original(self, cells: list[str]) -> tuple[str, ...]:
        """The row as read (without the padding added for absent cells)."""
        width = self.width
        if len(cells) > width and any(cells[width:]):
            return tuple(cells)
        return tuple(cells[:width])


def merge(first: PersonRecord, later: PersonRecord) -> None:
    """Unite ``later`` into ``first``: numbers appended in order, empty fields filled."""
    known = {phone.e164 for phone in first.phones}
    first.phones.extend(phone for phone in later.phones if phone.e164 not in known)
    for name in ("first_name", "address", "postcode", "city", "district", "birth_date"):
        if not getattr(first, name) and getattr(later, name):
            setattr(first, name, getattr(later, name))
    for name in ("contact_name", "contact_phone"):
        if getattr(first, name) is None:
            setattr(first, name, getattr(later, name))
    for column, value in later.register_flags.items():
        first.register_flags.setdefault(column, value)
    first.disabled = first.disabled or later.disabled
    first.medical_flag = first.medical_flag or later.medical_flag


@lru_cache(maxsize=1 << 16)
def plain(text: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces (names repeat:
    cached)."""
    folded = text.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_ALPHANUMERIC.sub(" ", folded).split())


def parse_date(text: str) -> date | None:
    if not text:
        return None
    if len(text) == 10 and text[2] == "/" and text[5] == "/":  # the usual dd/mm/yyyy
        try:
            return date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:
            pass
    for shape in _DATE_SHAPES:
        match = shape.fullmatch(text)
        if match is not None:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def _postcode(text: str) -> str | None:
    if len(text) == 4 and text.isdigit():  # a spreadsheet dropped the leading zero
        return "0" + text
    return text or None
