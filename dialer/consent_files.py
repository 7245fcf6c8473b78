"""The city's files for the volunteer calls (« veille sociale »): consents for
``dialer consent import`` and withdrawals for ``dialer consent withdraw``.

CSV, ``;``-separated, UTF-8 (with or without BOM), a first line of column names (in any
order), one line per household by its register id. Consents::

    identifiant;accord_de;proche;date_accord;canal;appels_reguliers;campagnes_urgence;recueilli_par
    R-0001;personne;;03/09/2026;telephone;oui;oui;Mme Martin (CCAS)
    R-0002;proche;Paul Durand (fils);2026-09-04;papier;oui;non;Accueil mairie

``accord_de``: ``personne`` or ``proche`` (then ``proche`` names the relative);
``canal``: ``telephone``, ``papier``, ``formulaire`` or ``en_personne``; at least one of
``appels_reguliers`` and ``campagnes_urgence`` is ``oui``. Withdrawals::

    identifiant;demande_par;canal
    R-0001;personne;telephone

Any bad line stops the whole file, each one named ``file:line:field``: nothing is written.
A cell of a name starting with ``=``, ``+``, ``-`` or ``@`` (a spreadsheet formula) is a
bad line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TypeVar

from dialer.core.consent import NAME_MAX_LENGTH, AgreedBy, ConsentChannel
from dialer.errors import InputError, RowsError
from dialer.storage.consents import ConsentRecord, WithdrawalRequest

#: the words of the files
AGREED_BY_WORDS = {"personne": AgreedBy.PERSON, "proche": AgreedBy.RELATIVE}
CHANNEL_WORDS = {
    "telephone": ConsentChannel.PHONE,
    "téléphone": ConsentChannel.PHONE,
    "papier": ConsentChannel.PAPER,
    "formulaire": ConsentChannel.ONLINE_FORM,
    "en_personne": ConsentChannel.IN_PERSON,
}
YES_NO = {"oui": True, "non": False}
CONSENT_COLUMNS = (
    "identifiant",
    "accord_de",
    "proche",
    "date_accord",
    "canal",
    "appels_reguliers",
    "campagnes_urgence",
    "recueilli_par",
)
WITHDRAWAL_COLUMNS = ("identifiant", "demande_par", "canal")
#: the largest file read (an upload is bounded before, by the web server's body limits)
MAX_BYTES = 20_000_000
_EXTERNAL_ID_MAX = 100
#: a cell starting so would be a formula in the spreadsheet that opens it again
_STARTS_A_FORMULA = frozenset("=+-@")
_Value = TypeVar("_Value")


def read_table(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The file's lines after its header, by column name, with their line numbers;
    :class:`InputError` naming the file (and line) for an unreadable file, a missing
    column or a line with too many cells."""
    return table_of(path.name, _bytes(path), columns)


def table_of(name: str, raw: bytes, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """:func:`read_table` of a file's bytes (an upload), named ``name`` in messages."""
    if len(raw) > MAX_BYTES:
        raise InputError(f"{name} : fichier trop gros ({MAX_BYTES // 1_000_000} Mo au plus)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} : le fichier n'est pas en UTF-8 ({exc.reason})") from None
    if "\x00" in text:
        raise InputError(f"{name} : ce n'est pas un fichier texte CSV (octets nuls)")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        missing = [column for column in columns if column not in header]
        if missing:
            raise InputError(
                f"{name}:1 : colonne(s) manquante(s) : {', '.join(missing)} "
                f"(attendues : {';'.join(columns)})"
            )
        lines = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                raise InputError(
                    f"{name}:{number} : {len(cells)} cellules pour {len(header)} colonnes"
                )
            padded = cells + [""] * (len(header) - len(cells))
            lines.append(
                (number, {col: cell.strip() for col, cell in zip(header, padded, strict=True)})
            )
    except csv.Error as exc:
        raise InputError(f"{name}:{reader.line_num} : CSV illisible ({exc})") from None
    if not lines:
        raise InputError(f"{name} : aucune ligne après l'en-tête")
    return lines


def _word(where: str, field: str, value: str, words: Mapping[str, _Value]) -> _Value:
    found = words.get(value.lower())
    if found is None:
        raise InputError(
            f"{where}:{field} : « {value[:30]} » inconnu (attendu : {', '.join(words)})"
        )
    return found


def _required(where: str, field: str, value: str, longest: int = NAME_MAX_LENGTH) -> str:
    if not value:
        raise InputError(f"{where}:{field} : champ obligatoire manquant")
    if len(value) > longest:
        raise InputError(f"{where}:{field} : trop long ({longest} caractères au plus)")
    if value[0] in _STARTS_A_FORMULA:
        raise InputError(
            f"{where}:{field} : « {value[:30]} » commence par « {value[0]} » : "
            "une formule de tableur n'est pas un nom"
        )
    return value


def parse_day(value: str) -> date | None:
    """A date written JJ/MM/AAAA or AAAA-MM-JJ; None when it is neither."""
    for shape in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, shape).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    return None


def consent_record(where: str, cells: Mapping[str, str], *, today: date) -> ConsentRecord:
    """One line of a consents file; :class:`InputError` naming ``where:field``."""
    external_id = _required(where, "identifiant", cells["identifiant"], _EXTERNAL_ID_MAX)
    agreed_by = _word(
        where, "accord_de", _required(where, "accord_de", cells["accord_de"]), AGREED_BY_WORDS
    )
    relative = cells["proche"] or None
    if agreed_by is AgreedBy.RELATIVE:
        relative = _required(where, "proche", cells["proche"])
    elif relative is not None:
        raise InputError(f"{where}:proche : seulement quand l'accord vient d'un proche")
    day = parse_day(_required(where, "date_accord", cells["date_accord"]))
    if day is None:
        raise InputError(f"{where}:date_accord : date JJ/MM/AAAA attendue")
    if day > today:
        raise InputError(f"{where}:date_accord : date dans le futur")
    channel = _word(where, "canal", _required(where, "canal", cells["canal"]), CHANNEL_WORDS)
    regular = _word(
        where,
        "appels_reguliers",
        _required(where, "appels_reguliers", cells["appels_reguliers"]),
        YES_NO,
    )
    emergency = _word(
        where,
        "campagnes_urgence",
        _required(where, "campagnes_urgence", cells["campagnes_urgence"]),
        YES_NO,
    )
    if not regular and not emergency:
        raise InputError(
            f"{where}:appels_reguliers : l'accord doit porter sur les appels réguliers, "
            "les campagnes d'urgence, ou les deux"
        )
    collected_by = _required(where, "recueilli_par", cells["recueilli_par"])
    return ConsentRecord(
        external_id=external_id,
        agreed_by=agreed_by,
        relative_name=relative,
        agreed_at=datetime.combine(day, time(0, 0), UTC),
        channel=channel,
        regular_calls=regular,
        emergency_campaigns=emergency,
        collected_by=collected_by,
        where=where,
    )


def withdrawal_request(where: str, cells: Mapping[str, str]) -> WithdrawalRequest:
    external_id = _required(where, "identifiant", cells["identifiant"], _EXTERNAL_ID_MAX)
    asked = _required(where, "demande_par", cells["demande_par"])
    channel = _required(where, "canal", cells["canal"])
    return WithdrawalRequest(
        external_id,
        _word(where, "demande_par", asked, AGREED_BY_WORDS),
        _word(where, "canal", channel, CHANNEL_WORDS),
        where=where,
    )


def _read(
    name: str,
    raw: bytes,
    columns: tuple[str, ...],
    line: Callable[[str, dict[str, str]], _Value],
) -> list[_Value]:
    """Every line read; the bad ones each named in one :class:`RowsError` (a file with a
    bad line gives nothing)."""
    seen: dict[str, int] = {}
    found = []
    problems = []
    for number, cells in table_of(name, raw, columns):
        where = f"{name}:{number}"
        external_id = cells["identifiant"]
        try:
            if external_id and external_id in seen:
                raise InputError(
                    f"{where}:identifiant : « {external_id[:100]} » déjà à la ligne "
                    f"{seen[external_id]}"
                )
            seen[external_id] = number
            found.append(line(where, cells))
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        raise RowsError(problems)
    return found


def consents_of(name: str, raw: bytes, *, today: date) -> list[ConsentRecord]:
    """The consents of a file's bytes (an upload) named ``name``; :class:`InputError`
    naming ``name:line:field`` (:class:`RowsError`: every bad line). Slow for a big file:
    call it off the event loop."""
    return _read(
        name, raw, CONSENT_COLUMNS, lambda where, cells: consent_record(where, cells, today=today)
    )


def _bytes(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(MAX_BYTES + 1)


def read_consents(path: Path, *, today: date) -> list[ConsentRecord]:
    """The file's consents; :class:`InputError` naming ``file:line:field``."""
    return consents_of(path.name, _bytes(path), today=today)


def read_withdrawals(path: Path) -> list[WithdrawalRequest]:
    """The file's withdrawals; :class:`InputError` naming ``file:line:field``."""
    return _read(path.name, _bytes(path), WITHDRAWAL_COLUMNS, withdrawal_request)
