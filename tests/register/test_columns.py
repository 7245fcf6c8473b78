from __future__ import annotations

from pathlib import Path

import pytest

from dialer.errors import InputError
from dialer.register.columns import ColumnMap, Field, default_field, load_mapping, normalise_header

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Nom", Field.LAST_NAME),
        ("  NOM ", Field.LAST_NAME),
        ("Prénom", Field.FIRST_NAME),
        ("PRENOM", Field.FIRST_NAME),
        ("Date de naissance", Field.BIRTH_DATE),
        ("Né(e) le", Field.BIRTH_DATE),
        ("Adresse", Field.ADDRESS),
        ("Code postal", Field.POSTCODE),
        ("Ville", Field.CITY),
        ("Arrondissement", Field.DISTRICT),
        ("Téléphone", Field.PHONE),
        ("Téléphone 2", Field.PHONE),
        ("Tél.", Field.PHONE),
        ("Portable", Field.MOBILE),
        ("Tél. portable", Field.MOBILE),
        ("Téléphone fixe", Field.LANDLINE),
        ("Contact", Field.CONTACT_NAME),
        ("Personne à prévenir", Field.CONTACT_NAME),
        ("Téléphone contact", Field.CONTACT_PHONE),
        ("Tél. personne à prévenir", Field.CONTACT_PHONE),
        ("Handicap", Field.DISABILITY),
        ("Situation médicale", Field.MEDICAL),
        ("Identifiant", Field.EXTERNAL_ID),
        ("N° dossier", Field.EXTERNAL_ID),
        ("Observations", None),
    ],
)
def test_french_column_names_are_known(header: str, field: Field | None) -> None:
    assert default_field(header) is field


def test_names_compare_without_case_accents_or_punctuation() -> None:
    assert normalise_header("  N°  Dossier ") == normalise_header("n dossier") == "n dossier"
    assert normalise_header("Téléphone-Fixe") == "telephone fixe"


def test_columns_are_mapped_with_phones_in_file_order(tmp_path: Path) -> None:
    headers = ["Portable", "Nom", "Prénom", "Téléphone", "Commentaire", "", "Handicap"]
    columns = ColumnMap.build(headers, source=tmp_path / "r.csv")
    assert columns.single == {Field.LAST_NAME: 1, Field.FIRST_NAME: 2}
    assert columns.phones == [(0, Field.MOBILE), (3, Field.PHONE)]
    assert columns.disability == [6]
    assert columns.ignored == ["Commentaire"]


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        (["Prénom", "Téléphone"], "nom"),
        (["Nom", "Prénom", "Adresse"], "au moins un téléphone"),
    ],
)
def test_a_missing_required_column_refuses_the_file(headers: list[str], missing: str) -> None:
    with pytest.raises(InputError) as caught:
        ColumnMap.build(headers, source=Path("registre.csv"))
    message = str(caught.value)
    assert message.startswith("registre.csv : colonne obligatoire introuvable")
    assert missing in message
    assert "« Prénom »" in message


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(InputError, match="« Nom » et « Nom d'usage »"):
        ColumnMap.build(["Nom", "Nom d'usage", "Téléphone"], source=Path("r.csv"))


@pytest.mark.parametrize("name", ["correspondance.toml", "correspondance.csv"])
def test_a_mapping_file_names_other_columns(name: str) -> None:
    mapping = load_mapping(FIXTURES / name)
    headers = ["Nom de naissance", "Prénom usuel", "Numéro principal", "Autre numéro"]
    columns = ColumnMap.build(headers, source=Path("r.csv"), mapping=mapping)
    assert columns.single == {Field.LAST_NAME: 0, Field.FIRST_NAME: 1}
    assert columns.phones == [(2, Field.PHONE), (3, Field.PHONE)]


def test_a_mapping_can_ignore_a_column_known_by_default() -> None:
    mapping = {"ville": Field.IGNORE}
    columns = ColumnMap.build(["Nom", "Ville", "Téléphone"], source=Path("r"), mapping=mapping)
    assert Field.CITY not in columns.single
    assert columns.ignored == ["Ville"]


def test_a_bad_mapping_file_is_named_with_its_line(tmp_path: Path) -> None:
    bad_csv = tmp_path / "map.csv"
    bad_csv.write_text("column,field\nNom,last_name\nTél,telephone\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"map.csv, ligne 3 : champ inconnu « telephone »"):
        load_mapping(bad_csv)
    bad_toml = tmp_path / "map.toml"
    bad_toml.write_text('[columns]\n"Nom" = 3\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"map.toml, clé « Nom »"):
        load_mapping(bad_toml)
    with pytest.raises(InputError, match="introuvable"):
        load_mapping(tmp_path / "absent.toml")
