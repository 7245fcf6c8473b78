"""Which column of a register holds which field.

Column names are compared without case, accents, punctuation or extra spaces ("N° dossier",
"n dossier" and "N°  DOSSIER" are the same). The usual French names are known; a mapping
file names the others, either TOML::

    [columns]
    "Nom de naissance" = "last_name"
    "Tél. fille" = "contact_phone"
    "Commentaire" = "ignore"

or CSV (``column,field`` or ``column;field``, an optional header line ``column,field``).
"""

from __future__ import annotations

import csv
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from dialer.errors import InputError


class Field(StrEnum):
    EXTERNAL_ID = "external_id"
    LAST_NAME = "last_name"
    FIRST_NAME = "first_name"
    BIRTH_DATE = "birth_date"
    ADDRESS = "address"
    POSTCODE = "postcode"
    CITY = "city"
    DISTRICT = "district"
    PHONE = "phone"
    MOBILE = "mobile"
    LANDLINE = "landline"
    CONTACT_NAME = "contact_name"
    CONTACT_PHONE = "contact_phone"
    DISABILITY = "disability"
    MEDICAL = "medical"
    IGNORE = "ignore"


#: fields several columns may hold (numbers in column order, flags all kept; addresses
#: are joined)
MULTI_FIELDS = frozenset(
    {Field.PHONE, Field.MOBILE, Field.LANDLINE, Field.DISABILITY, Field.MEDICAL, Field.ADDRESS}
)
PHONE_FIELDS = frozenset({Field.PHONE, Field.MOBILE, Field.LANDLINE})

FIELD_LABELS_FR: dict[Field, str] = {
    Field.EXTERNAL_ID: "identifiant",
    Field.LAST_NAME: "nom",
    Field.FIRST_NAME: "prénom",
    Field.BIRTH_DATE: "date de naissance",
    Field.ADDRESS: "adresse",
    Field.POSTCODE: "code postal",
    Field.CITY: "ville",
    Field.DISTRICT: "arrondissement",
    Field.PHONE: "téléphone",
    Field.MOBILE: "portable",
    Field.LANDLINE: "téléphone fixe",
    Field.CONTACT_NAME: "personne à prévenir",
    Field.CONTACT_PHONE: "téléphone de la personne à prévenir",
    Field.DISABILITY: "handicap",
    Field.MEDICAL: "situation médicale",
    Field.IGNORE: "colonne ignorée",
}

_EXACT_NAMES: dict[Field, tuple[str, ...]] = {
    Field.EXTERNAL_ID: (
        "identifiant",
        "id",
        "n dossier",
        "no dossier",
        "num dossier",
        "numero dossier",
        "numero de dossier",
        "dossier",
        "reference",
        "ref",
        "matricule",
        "identifiant registre",
    ),
    Field.LAST_NAME: ("nom", "nom de famille", "nom d usage", "nom usage", "nom usuel"),
    Field.FIRST_NAME: ("prenom", "prenoms"),
    Field.BIRTH_DATE: (
        "date de naissance",
        "date naissance",
        "naissance",
        "ne le",
        "ne e le",
        "nee le",
        "ddn",
    ),
    Field.ADDRESS: ("adresse", "adresse postale", "rue", "voie", "complement d adresse"),
    Field.POSTCODE: ("code postal", "cp", "code post"),
    Field.CITY: ("ville", "commune", "localite"),
    Field.DISTRICT: ("arrondissement", "arr", "quartier", "secteur"),
    Field.MOBILE: ("portable", "mobile", "telephone portable", "tel portable", "tel mobile"),
    Field.LANDLINE: ("telephone fixe", "tel fixe", "fixe", "telephone domicile", "domicile"),
    Field.CONTACT_NAME: (
        "contact",
        "personne a prevenir",
        "personne a contacter",
        "nom contact",
        "contact nom",
        "aidant",
        "proche",
        "referent",
    ),
    Field.DISABILITY: ("handicap", "situation de handicap", "invalidite", "handicape"),
    Field.MEDICAL: (
        "medical",
        "situation medicale",
        "sante",
        "pathologie",
        "traitement",
        "suivi medical",
        "observations medicales",
        "fragilite",
    ),
}
_DEFAULT_NAMES: dict[str, Field] = {
    name: mapped for mapped, names in _EXACT_NAMES.items() for name in names
}
_PHONE_WORD = re.compile(r"\b(?:telephone|tel|tph|numero de telephone|n telephone)\b")
_CONTACT_WORD = re.compile(r"\b(?:contact|prevenir|aidant|proche|referent|famille|tuteur)\b")


def normalise_header(name: str) -> str:
    """Lower case, no accents, letters and digits separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def default_field(header: str) -> Field | None:
    """The field a column name means by default, if any."""
    name = normalise_header(header)
    if name in _DEFAULT_NAMES:
        return _DEFAULT_NAMES[name]
    if _PHONE_WORD.search(name):
        if _CONTACT_WORD.search(name):
            return Field.CONTACT_PHONE
        if "portable" in name or "mobile" in name:
            return Field.MOBILE
        if "fixe" in name or "domicile" in name:
            return Field.LANDLINE
        return Field.PHONE
    return None


def load_mapping(path: Path, *, name: str = "") -> dict[str, Field]:
    """A mapping file (TOML ``[columns]`` table, or CSV ``column,field``): normalised column
    name → field. Raises :class:`InputError` naming the file (``name``, by default its
    path), line or key."""
    shown = name or str(path)
    if not path.is_file():
        raise InputError(f"{shown} : fichier de correspondance introuvable")
    if path.suffix.lower() == ".toml":
        return _load_toml_mapping(path, shown)
    return _load_csv_mapping(path, shown)


def _field(value: str, where: str) -> Field:
    try:
        return Field(value.strip().lower())
    except ValueError:
        known = ", ".join(f.value for f in Field)
        raise InputError(f"{where} : champ inconnu « {value} » (champs : {known})") from None


def _load_toml_mapping(path: Path, shown: str) -> dict[str, Field]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown} : TOML illisible ({exc})") from exc
    table = data.get("columns")
    if not isinstance(table, dict):
        raise InputError(f'{shown} : table [columns] manquante ("Nom de colonne" = "champ")')
    mapping: dict[str, Field] = {}
    for column, value in table.items():
        if not isinstance(value, str):
            raise InputError(f"{shown}, clé « {column} » : le champ doit être un texte")
        mapping[normalise_header(column)] = _field(value, f"{shown}, clé « {column} »")
    return mapping


def _load_csv_mapping(path: Path, shown: str) -> dict[str, Field]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    mapping: dict[str, Field] = {}
    for line, cells in enumerate(csv.reader(text.splitlines(), delimiter=delimiter), start=1):
        if not any(cell.strip() for cell in cells) or cells[0].strip().startswith("#"):
            continue
        if len(cells) != 2:
            raise InputError(
                f"{shown}, ligne {line} : attendu « colonne{delimiter}champ », lu {len(cells)} "
                "valeur(s)"
            )
        column, value = cells
        if line == 1 and normalise_header(column) == "column" and value.strip() == "field":
            continue
        mapping[normalise_header(column)] = _field(value, f"{shown}, ligne {line}")
    return mapping


@dataclass
class ColumnMap:
    """The columns of one register file and the field each holds (by column index)."""

    headers: list[str]
    single: dict[Field, int] = field(default_factory=dict)
    #: phone columns in file order, with their field (phone, mobile, landline)
    phones: list[tuple[int, Field]] = field(default_factory=list)
    addresses: list[int] = field(default_factory=list)
    disability: list[int] = field(default_factory=list)
    medical: list[int] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls, headers: list[str], *, source: Path | str, mapping: dict[str, Field] | None = None
    ) -> ColumnMap:
        """Map ``headers``; raises :class:`InputError` naming ``source`` when the last name
        or every phone column is missing, or when two columns claim the same field."""
        columns = cls(headers)
        owners: dict[Field, str] = {}
        for index, header in enumerate(headers):
            if not header:
                continue
            mapped = (mapping or {}).get(normalise_header(header)) or default_field(header)
            if mapped is None or mapped is Field.IGNORE:
                columns.ignored.append(header)
                continue
            if mapped in PHONE_FIELDS:
                columns.phones.append((index, mapped))
            elif mapped is Field.ADDRESS:
                columns.addresses.append(index)
            elif mapped is Field.DISABILITY:
                columns.disability.append(index)
            elif mapped is Field.MEDICAL:
                columns.medical.append(index)
            elif mapped in columns.single:
                raise InputError(
                    f"{source} : les colonnes « {owners[mapped]} » et « {header} » donnent "
                    f"toutes deux le champ {FIELD_LABELS_FR[mapped]} ; indiquez laquelle "
                    "ignorer dans un fichier de correspondance"
                )
            else:
                columns.single[mapped] = index
                owners[mapped] = header
        missing = []
        if Field.LAST_NAME not in columns.single:
            missing.append("nom (« Nom »)")
        if not columns.phones:
            missing.append("au moins un téléphone (« Téléphone », « Portable »…)")
        if missing:
            read = ", ".join(f"« {h} »" for h in headers if h) or "aucune"
            raise InputError(
                f"{source} : colonne obligatoire introuvable : {' ; '.join(missing)}. "
                f"Colonnes lues : {read}. Renommez la colonne ou donnez un fichier de "
                "correspondance (colonne,champ)."
            )
        return columns

    def header(self, index: int) -> str:
        return self.headers[index]
