from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from dialer.errors import InputError, NotFoundError
from dialer.register.reading import open_register

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "Nom;Prénom;Téléphone"


def read_all(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    with open_register(path) as register:
        return register.headers, list(register.rows()), register.description


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")],
)
@pytest.mark.parametrize("separator", [";", ","])
def test_csv_encodings_and_separators(
    tmp_path: Path, encoding: str, label: str, separator: str
) -> None:
    text = "\r\n".join(
        [
            separator.join(["Nom", "Prénom", "Adresse", "Téléphone"]),
            separator.join(["Bœuf", "Françoise", '"3, rue de l\'Église"', "01 45 67 89 10"]),
            separator.join(["Garçon", "Hélène", "", "06.12.34.56.78"]),
        ]
    )
    path = tmp_path / "registre.csv"
    path.write_bytes(text.encode(encoding))
    headers, rows, description = read_all(path)
    assert headers == ["Nom", "Prénom", "Adresse", "Téléphone"]
    assert rows == [
        (2, ["Bœuf", "Françoise", "3, rue de l'Église", "01 45 67 89 10"]),
        (3, ["Garçon", "Hélène", "", "06.12.34.56.78"]),
    ]
    assert description == f"CSV {label}, séparateur {separator}"


def test_the_cp1252_fixture_keeps_its_accents() -> None:
    headers, rows, description = read_all(FIXTURES / "registre-cp1252.csv")
    assert description == "CSV Windows-1252, séparateur ;"
    assert headers[3] == "Né(e) le"
    assert [row[1][1] for row in rows] == ["Lefèvre", "Bœuf", "Garçon"]
    assert rows[2][1][9] == "Noëlle Garçon (fille)"


def test_line_numbers_count_blank_lines_and_multi_line_cells(tmp_path: Path) -> None:
    path = tmp_path / "registre.csv"
    path.write_text(
        '\n\nNom;Adresse;Téléphone\nDupont;"3 rue de la Paix\nBâtiment B";0145678910\n\n'
        "Martin;;0612345678\n;;\n",
        encoding="utf-8",
    )
    headers, rows, _ = read_all(path)
    assert headers == ["Nom", "Adresse", "Téléphone"]
    assert rows == [
        (4, ["Dupont", "3 rue de la Paix\nBâtiment B", "0145678910"]),
        (7, ["Martin", "", "0612345678"]),
    ]


def test_xlsx_rows_are_streamed_with_dates_and_numbers_as_text(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Registre"
    sheet.append(["Nom", "Date de naissance", "Téléphone", "Code postal"])
    sheet.append(["Dupont", date(1941, 3, 12), 145678910, 1000])
    sheet.append([None, None, None, None])
    sheet.append(["Lefèvre", "01/01/1935", "06 12 34 56 78", "75011"])
    path = tmp_path / "registre.xlsx"
    workbook.save(path)
    headers, rows, description = read_all(path)
    assert description == "XLSX, feuille « Registre »"
    assert headers == ["Nom", "Date de naissance", "Téléphone", "Code postal"]
    assert rows == [
        (2, ["Dupont", "12/03/1941", "145678910", "1000"]),
        (4, ["Lefèvre", "01/01/1935", "06 12 34 56 78", "75011"]),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "le fichier est vide"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "fichier binaire"),
        (b"Nom;T\xe9l\xe9phone\r\nDupont;01 45 \x81\x8d 89 10\r\n", "encodage illisible"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "ancien format Excel"),
        (b"PK\x03\x04 not really a zip", "classeur XLSX illisible"),
        (b"\r\n \r\n", "aucune ligne d'en-t"),
    ],
)
def test_unreadable_files_are_refused_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "registre.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        open_register(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="introuvable"):
        open_register(tmp_path / "absent.csv")
