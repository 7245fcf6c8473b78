"""The one rule for every CSV the dialer writes: no cell runs as a formula."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dialer.core.phones import spreadsheet_number
from dialer.csv_output import inert_cell

PACKAGE = Path(__file__).resolve().parents[2] / "dialer"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+cmd", "'-2+3+cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\ncmd", "'\ncmd"),
        ("   =1+1", "'   =1+1"),
        ("  @A1", "'  @A1"),
        ("- 5", "'- 5"),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        # plain numbers cannot run anything: left as they are
        ("-12", "-12"),
        ("-3,5", "-3,5"),
        ("+33145678910", "+33145678910"),
        ("", ""),
        ("Dupont", "Dupont"),
        ("Jean-Pierre", "Jean-Pierre"),
        ("01 45 67 89 10", "01 45 67 89 10"),
    ],
)
def test_a_cell_that_could_run_gets_a_quote(cell: str, written: str) -> None:
    assert inert_cell(cell) == written


@pytest.mark.parametrize(
    ("e164", "written"),
    [
        ("+33145678910", "01 45 67 89 10"),
        ("+33612345678", "06 12 34 56 78"),
        ("+442079460958", "00 442079460958"),
        ("+3361234", "00 3361234"),
        ("inconnu", "inconnu"),
    ],
)
def test_phone_numbers_are_written_as_text_an_office_dials(e164: str, written: str) -> None:
    assert spreadsheet_number(e164) == written
    assert inert_cell(written) == written


def test_every_csv_writer_of_the_package_is_the_inert_one() -> None:
    """``csv.writer`` appears in one module only: every other goes through it."""
    writers = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert writers == ["csv_output.py"]
