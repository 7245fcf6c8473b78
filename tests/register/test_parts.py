"""A big register is cut into parts checked side by side: same result as in one piece."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest

from dialer.register import ImportProgress, ImportStep, IssueKind, import_register, reading
from dialer.register import importer as importer_module
from dialer.register.reading import FilePart, detect_csv_layout, open_csv_part, split_csv
from dialer.storage import SessionFactory
from tests.register.test_importer import HEADER, NOW, write_csv
from tests.register.test_worker import comparable, contents
from tests.stored import person_by_external_id


def test_a_csv_is_cut_on_record_ends_only(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    lines = ["id;nom;note\n"]
    for index in range(60_000):
        note = '"deux\nlignes"' if index % 7 == 0 else "une"
        lines.append(f"P{index};Nom{index};{note}\n")
    path.write_text("".join(lines), encoding="utf-8")
    parts = split_csv(path, 3, smallest=100_000)
    assert len(parts) == 3
    assert parts[0].start == 0
    assert [p.end for p in parts[:-1]] == [p.start for p in parts[1:]]
    assert parts[-1].end == path.stat().st_size
    layout = detect_csv_layout(path)
    rows: list[tuple[int, list[str]]] = []
    for part in parts:
        with open_csv_part(path, layout, part, ["id", "nom", "note"]) as register:
            rows.extend(register.rows())
    assert [cells[0] for _, cells in rows] == [f"P{i}" for i in range(60_000)]
    # a record that holds a line break takes two lines: line numbers go on counting them
    assert rows[0] == (2, ["P0", "Nom0", "deux\nlignes"])
    assert rows[1][0] == 4
    assert rows[-1][0] == 1 + 60_000 + len(range(0, 60_000, 7))
    with path.open(encoding="utf-8", newline="") as handle:
        whole = list(csv.reader(handle, delimiter=";"))
    assert [cells for _, cells in rows] == whole[1:]


def test_a_small_csv_or_one_with_bare_carriage_returns_stays_whole(tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    small.write_text("id;nom\nP1;Nom\n", encoding="utf-8")
    assert split_csv(small, 4) == [FilePart(0, small.stat().st_size, 0)]
    old_mac = tmp_path / "mac.csv"
    old_mac.write_bytes(b"id;nom\r" + b"P1;Nom\r" * 200_000)
    assert split_csv(old_mac, 4, smallest=10_000) == [FilePart(0, old_mac.stat().st_size, 0)]


def big_register(count: int) -> list[list[str]]:
    rows = []
    for index in range(count):
        digits = f"{index:06d}"
        landline = f"01 4{digits[0]} {digits[1:3]} {digits[3:5]} {digits[5]}0"
        rows.append(
            [f"D{index:06d}", f"Nom{index}", "Jeanne", "12/03/1941", f"{index} rue de la Paix",
             "75002", "Paris", "2e", landline, "", "", "", "", ""]
        )  # fmt: skip
    return rows


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Big files are cut in two parts, whatever the machine."""
    monkeypatch.setattr(importer_module, "MAX_WORKERS", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


@pytest.mark.asyncio
@pytest.mark.usefixtures("two_workers")
async def test_a_register_checked_in_parts_imports_like_one_in_one_piece(
    two_databases: tuple[SessionFactory, SessionFactory], tmp_path: Path
) -> None:
    whole, parts = two_databases
    rows = big_register(24_000)
    # across the parts: a person again near the end, a couple, a rejected row, a bad date
    rows[23_000] = [*rows[5][:8], "06 12 34 56 78", *rows[5][9:]]
    rows[22_000][8] = rows[10][8]
    rows[21_000][8] = "06 12 34"
    rows[20_000][3] = "31/02/1930"
    path = write_csv(tmp_path / "registre.csv", rows)
    assert path.stat().st_size > 2 << 20  # enough for two parts of 1 MiB or more

    expected = await import_register(whole, path, now=NOW, in_worker=False)
    progress: list[ImportProgress] = []
    report = await import_register(
        parts, path, now=NOW, in_worker=True, on_progress=progress.append
    )
    assert comparable(report) == comparable(expected)
    assert (report.read, report.added, report.rejected) == (24_000, 23_998, 1)
    assert (report.merged_duplicates, report.shared_numbers) == (1, 1)
    assert [(i.kind, i.line) for i in report.issues] == [
        (IssueKind.IGNORED_VALUE, 20_002),
        (IssueKind.REJECTED_ROW, 21_002),
        (IssueKind.SHARED_NUMBER, 22_002),
        (IssueKind.DUPLICATE, 23_002),
    ]
    checked = [p.done for p in progress if p.step is ImportStep.CHECK]
    assert checked[-1] == 24_000
    assert checked == sorted(checked)
    # written in two batches of lines, the second ending with everyone
    writes = [(p.done, p.total) for p in progress if p.step is ImportStep.WRITE]
    assert len(writes) == 2
    assert writes[0][0] < writes[1][0] == writes[1][1] == report.added
    assert await contents(parts) == await contents(whole)
    dupont = await person_by_external_id(parts, "D000005")
    assert dupont is not None
    assert [p.e164 for p in dupont.phones] == ["+33140000050", "+33612345678"]
    assert report.rejects_path is not None
    with report.rejects_path.open(encoding="utf-8-sig", newline="") as handle:
        listed: list[Any] = list(csv.reader(handle, delimiter=";"))
    assert listed[0][:5] == ["line", "column", "value", "reason", HEADER[0]]
    assert [row[:3] for row in listed[1:]] == [
        ["20002", "Date de naissance", "31/02/1930"],
        ["21002", "Téléphone", "06 12 34"],
    ]


def test_windows_line_ends_cut_between_chunks_do_not_prevent_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "crlf.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")  # "\r\n" line ends
        writer.writerow(["id", "nom"])
        writer.writerows([f"P{i}", "Nom" * (i % 5)] for i in range(100_000))
    content = path.read_bytes()
    # read by chunks that end between a "\r" and its "\n"
    monkeypatch.setattr(reading, "_CHUNK", content.index(b"\r\n", 10_000) + 1)
    parts = split_csv(path, 2, smallest=100_000)
    assert len(parts) == 2
    layout = detect_csv_layout(path)
    rows: list[tuple[int, list[str]]] = []
    for part in parts:
        with open_csv_part(path, layout, part, ["id", "nom"]) as register:
            rows.extend(register.rows())
    assert [line for line, _ in rows] == list(range(2, 100_002))
    assert [cells[0] for _, cells in rows] == [f"P{i}" for i in range(100_000)]


@pytest.mark.asyncio
async def test_a_chain_of_keys_and_identities_is_one_person(
    two_databases: tuple[SessionFactory, SessionFactory], tmp_path: Path
) -> None:
    sessions, _ = two_databases
    blank = [""] * 10
    rows = [
        ["I1", "Dupont", "Jeanne", "12/03/1941", *blank[:4], "01 45 67 89 10", *blank[:5]],
        # J1 is new, with I1's identity: I1's person
        ["J1", "DUPONT", "Jeanne", "12/03/1941", *blank[:4], "06 12 34 56 78", *blank[:5]],
        # J1 again, with an identity first met here
        ["J1", "Martin", "Paul", "05/05/1940", *blank[:4], "07 81 22 33 44", *blank[:5]],
        # K1 is new, with that identity: J1's person, that is I1's
        ["K1", "Martin", "Paul", "05/05/1940", *blank[:4], "06 99 88 77 66", *blank[:5]],
        ["L1", "Roux", "Odette", "", *blank[:4], "01 47 00 00 09", *blank[:5]],
    ]
    report = await import_register(sessions, write_csv(tmp_path / "r.csv", rows), now=NOW)
    assert (report.added, report.merged_duplicates) == (2, 3)
    assert [(i.line, i.value) for i in report.issues] == [(3, "J1"), (4, "J1"), (5, "K1")]
    people = await contents(sessions)
    assert sorted((p[0], [n[1] for n in p[-1]]) for p in people) == [
        ("I1", ["+33145678910", "+33612345678", "+33781223344", "+33699887766"]),
        ("L1", ["+33147000009"]),
    ]


@pytest.mark.asyncio
@pytest.mark.usefixtures("two_workers")
async def test_a_stray_quote_inside_a_field_does_not_mislead_the_cuts(
    two_databases: tuple[SessionFactory, SessionFactory], tmp_path: Path
) -> None:
    whole, parts = two_databases
    rows = big_register(24_000)
    rows[0][2] = 'Jeanne D"Arc'  # a quote the csv module reads as a plain character
    rows[18_000][4] = "12 rue de la Paix\nBâtiment A"  # a line break inside quotes
    path = write_csv(tmp_path / "registre.csv", rows)
    expected = await import_register(whole, path, now=NOW, in_worker=False)
    report = await import_register(parts, path, now=NOW, in_worker=True)
    assert comparable(report) == comparable(expected)
    assert (report.read, report.added, report.rejected) == (24_000, 24_000, 0)
    assert await contents(parts) == await contents(whole)
    moved = await person_by_external_id(parts, "D018000")
    assert moved is not None
    assert moved.address == "12 rue de la Paix\nBâtiment A"


@pytest.mark.asyncio
async def test_only_the_first_duplicates_by_line_are_kept_and_all_are_counted(
    two_databases: tuple[SessionFactory, SessionFactory],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions, _ = two_databases
    monkeypatch.setattr(importer_module, "KEPT_ISSUES", 2)
    rows = big_register(3)
    x, y, w = rows
    # people come in order of first line (X, Y, W), their duplicates later
    register = [x, y, y, w, w, x, x]
    report = await import_register(sessions, write_csv(tmp_path / "r.csv", register), now=NOW)
    assert report.merged_duplicates == 4
    assert report.issue_count == 4
    assert [(i.kind, i.line) for i in report.issues] == [
        (IssueKind.DUPLICATE, 4),
        (IssueKind.DUPLICATE, 6),
    ]
