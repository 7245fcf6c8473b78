"""Hostile and broken XLSX registers sent to the upload API and page: each is refused
with a 422 naming the uploaded file (never a server path), the part and the bound it
crosses, and nothing is written. The files are built with :mod:`bench.hostile_files`."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import hostile_files as hostile
from dialer.register import xlsx
from tests.stored import count_active_people
from tests.web.conftest import log_in
from tests.web.steering_support import SteerRig, steer

__all__ = ["steer"]

IMPORT = "/api/v1/registers/import"
_HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "declared-xfd": (
        lambda path: hostile.declared_as_wide_as_excel(path, value_in_last_column=True),
        "cellule XFD8000, est au-delà de la colonne IV (256 colonnes au plus)",
    ),
    "shared-strings-bomb": (
        lambda path: hostile.shared_strings_bomb(path, 1_000_000),
        "la partie xl/sharedStrings.xml se décompresse",
    ),
    "zip-bomb": (
        hostile.zip_bomb,
        "la partie xl/worksheets/sheet1.xml se décompresse",
    ),
    "lying-sizes": (
        hostile.lying_sizes,
        "bombe de décompression",
    ),
    "many-parts": (
        lambda path: hostile.many_parts(path, 1_001),
        "1 007 parties dans l'archive (au plus 1 000)",
    ),
    "million-rows": (
        hostile.many_rows,
        "la partie xl/worksheets/sheet1.xml compte plus de 200 000 lignes",
    ),
}


async def upload(steer: SteerRig, content: bytes, *, dry_run: bool = False) -> tuple[int, str]:
    response = await steer.http.post(
        IMPORT,
        files={"file": ("registre-canicule.xlsx", content, "application/octet-stream")},
        data={"dry_run": "true" if dry_run else "false"},
        headers=steer.auth("superviseur"),
    )
    body = response.json()
    message = str(body.get("erreur", body))
    return response.status_code, message[:1].lower() + message[1:]  # the API capitalises


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", sorted(_HOSTILE))
async def test_a_hostile_workbook_is_refused_and_nothing_is_written(
    steer: SteerRig, tmp_path: Path, kind: str
) -> None:
    build, reason = _HOSTILE[kind]
    content = (await asyncio.to_thread(build, tmp_path / "hostile.xlsx")).read_bytes()
    before = await count_active_people(steer.sessions)
    status, message = await upload(steer, content)
    assert status == 422, message
    assert message.startswith("registre-canicule.xlsx : classeur XLSX refusé : "), message
    assert reason in message
    assert tempfile.gettempdir() not in message
    assert "dialer-import" not in message
    assert await count_active_people(steer.sessions) == before
    assert await steer.audit("register.import") == []


@pytest.mark.asyncio
async def test_many_shared_strings_are_refused_at_the_bound(
    steer: SteerRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "MAX_SHARED_STRINGS", 1_000)
    content = hostile.many_shared_strings(tmp_path / "s.xlsx", 1_001).read_bytes()
    status, message = await upload(steer, content)
    assert status == 422
    assert "la partie xl/sharedStrings.xml compte plus de 1 000 chaînes partagées" in message
    fine = hostile.many_shared_strings(tmp_path / "ok.xlsx", 1_000).read_bytes()
    status, message = await upload(steer, fine, dry_run=True)
    assert status == 422  # read whole: refused only for having no one to call
    assert "aucune ligne ne désigne une personne" in message


@pytest.mark.asyncio
async def test_a_declared_dimension_is_not_trusted(steer: SteerRig, tmp_path: Path) -> None:
    """``A1:XFD8001`` declared, the header at row 8000: read as the four columns it has,
    its one person added, the row numbered as the spreadsheet shows it."""
    path = hostile.declared_as_wide_as_excel(tmp_path / "w.xlsx", value_in_last_column=False)
    response = await steer.http.post(
        IMPORT,
        files={"file": ("registre.xlsx", path.read_bytes(), "application/octet-stream")},
        headers=steer.auth("superviseur"),
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["read"], report["added"], report["rejected"]) == (1, 1, 0)


@pytest.mark.asyncio
async def test_the_workbook_is_read_off_the_event_loop(
    steer: SteerRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened_on: list[tuple[str, bool]] = []
    real_init = xlsx.XlsxSheet.__init__

    def spy(self: xlsx.XlsxSheet, path: Path, name: str) -> None:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        opened_on.append((threading.current_thread().name, on_loop))
        real_init(self, path, name)

    monkeypatch.setattr(xlsx.XlsxSheet, "__init__", spy)
    path = hostile.declared_as_wide_as_excel(tmp_path / "w.xlsx", value_in_last_column=False)
    status, _ = await upload(steer, path.read_bytes(), dry_run=True)
    assert status == 200
    assert len(opened_on) == 2  # the header, then every row
    assert not any(on_loop for _, on_loop in opened_on), opened_on


def missing_shared_string(path: Path) -> Path:
    rows = hostile.row(1, hostile.HEADER) + '<row r="2"><c r="A2" t="s"><v>7</v></c></row>'
    return hostile.workbook(path, hostile.sheet(rows), hostile.strings(["un", "deux"]))


def truncated_sheet(path: Path) -> Path:
    whole = hostile.sheet(hostile.row(1, hostile.HEADER) + hostile.row(2, ["D1", "Dupont"]))
    return hostile.workbook(path, whole[: len(whole) - 40])


def truncated_shared_strings(path: Path) -> Path:
    return hostile.workbook(path, hostile.sheet(hostile.row(1, hostile.HEADER)), b"<sst><si><t>a")


def doctype(path: Path) -> Path:
    bomb = b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]><worksheet/>'
    return hostile.workbook(path, bomb)


_BROKEN: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing-shared-string": (
        missing_shared_string,
        "classeur XLSX illisible : partie xl/worksheets/sheet1.xml, cellule A2 : chaîne "
        "partagée n° 7 absente de xl/sharedStrings.xml (2 chaînes)",
    ),
    "truncated-sheet": (
        truncated_sheet,
        "classeur XLSX illisible : partie xl/worksheets/sheet1.xml, XML tronqué ou mal formé",
    ),
    "truncated-shared-strings": (
        truncated_shared_strings,
        "classeur XLSX illisible : partie xl/sharedStrings.xml, XML tronqué ou mal formé",
    ),
    "doctype": (
        doctype,
        "classeur XLSX refusé : la partie xl/worksheets/sheet1.xml déclare un type de document",
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", sorted(_BROKEN))
async def test_a_broken_workbook_gets_a_422_naming_the_file_and_the_part(
    steer: SteerRig, tmp_path: Path, kind: str
) -> None:
    build, reason = _BROKEN[kind]
    before = await count_active_people(steer.sessions)
    status, message = await upload(steer, build(tmp_path / "b.xlsx").read_bytes())
    assert status == 422, message
    assert message.startswith("registre-canicule.xlsx : "), message
    assert reason in message
    assert await count_active_people(steer.sessions) == before
    assert await steer.audit("register.import") == []


@pytest.mark.asyncio
async def test_the_page_tells_a_broken_workbook_by_its_name(
    steer: SteerRig, tmp_path: Path
) -> None:
    csrf = await log_in(steer.http, "superviseur")
    before = await count_active_people(steer.sessions)
    for build, reason in (_BROKEN["missing-shared-string"], _HOSTILE["zip-bomb"]):
        content = build(tmp_path / "p.xlsx").read_bytes()
        page = await steer.http.post(
            "/supervision/registre",
            files={"fichier": ("mon registre.xlsx", content, "application/octet-stream")},
            data={"csrf": csrf},
        )
        assert page.status_code == 422
        assert "on registre.xlsx : classeur XLSX" in page.text
        assert reason[:30] in page.text
        assert "dialer-import" not in page.text
        assert tempfile.gettempdir() not in page.text
    assert await count_active_people(steer.sessions) == before


@pytest.mark.asyncio
async def test_a_workbook_at_the_row_bound_is_read_one_above_is_refused(
    steer: SteerRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 100)
    at_bound = hostile.many_rows(tmp_path / "100.xlsx", 99).read_bytes()  # and the header
    response = await steer.http.post(
        IMPORT,
        files={"file": ("registre.xlsx", at_bound, "application/octet-stream")},
        data={"dry_run": "true"},
        headers=steer.auth("superviseur"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["read"] == 99  # every row read (rejected: no phone number)
    above = hostile.many_rows(tmp_path / "101.xlsx", 100).read_bytes()
    status, message = await upload(steer, above, dry_run=True)
    assert status == 422
    assert "compte plus de 100 lignes" in message
