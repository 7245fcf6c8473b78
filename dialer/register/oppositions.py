"""A file of oppositions (« ne plus appeler ») for ``dialer person oppose``: one line per
person, ``identifiant;motif[;demandeur]`` (``;``, UTF-8 with or without BOM), the
requester ``personne`` (default) or ``proche``; a first line of column names is skipped,
and so are empty lines. Any bad line stops the whole file, named ``file:line``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dialer.core.holds import REASON_MAX_LENGTH, OnBehalfOf, clean_reason
from dialer.errors import InputError
from dialer.storage.holds import OppositionRequest

#: the third column's words
REQUESTERS = {"": OnBehalfOf.PERSON, "personne": OnBehalfOf.PERSON, "proche": OnBehalfOf.RELATIVE}
_HEADER_WORDS = {"identifiant", "external_id", "id"}
_MAX_BYTES = 20_000_000
_EXTERNAL_ID_MAX = 100


def read_oppositions(path: Path) -> list[OppositionRequest]:
    """The file's oppositions; :class:`InputError` naming ``file:line`` for a bad line."""
    raw = path.read_bytes()[: _MAX_BYTES + 1]
    if len(raw) > _MAX_BYTES:
        raise InputError(f"{path.name} : fichier trop gros (20 Mo au plus)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} : le fichier n'est pas en UTF-8 ({exc.reason})") from None
    requests = []
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        where = f"{path.name}:{number}"
        if not any(cell.strip() for cell in cells):
            continue
        if number == 1 and cells[0].strip().lower() in _HEADER_WORDS:
            continue
        requests.append(_request(cells, where))
    if not requests:
        raise InputError(f"{path.name} : aucune opposition dans le fichier")
    return requests


def _request(cells: list[str], where: str) -> OppositionRequest:
    if len(cells) not in {2, 3}:
        raise InputError(
            f"{where} : attendu « identifiant;motif » ou « identifiant;motif;demandeur » "
            f"({len(cells)} colonne(s))"
        )
    external_id = cells[0].strip()
    if not external_id or len(external_id) > _EXTERNAL_ID_MAX:
        raise InputError(
            f"{where} : identifiant manquant ou trop long ({_EXTERNAL_ID_MAX} au plus)"
        )
    if len(cells[1]) > REASON_MAX_LENGTH or not clean_reason(cells[1]):
        raise InputError(f"{where} : motif manquant ou trop long ({REASON_MAX_LENGTH} au plus)")
    requester = cells[2].strip().lower() if len(cells) == 3 else ""
    if requester not in REQUESTERS:
        raise InputError(f"{where} : demandeur « {requester[:20]} » inconnu (personne ou proche)")
    return OppositionRequest(external_id, cells[1], REQUESTERS[requester], where=where)
