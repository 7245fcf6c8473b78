"""The per-person results of a cycle or an episode, handed out: CSV (UTF-8 with BOM, « ; »,
no cell that runs as a formula), XLSX, JSON pages; ``dialer report results`` writes them
to a file, the report pages and the API stream them.

Memory stays bounded whatever the register: the people are read in batches of
:data:`BATCH` (one short read transaction each; the answers' JSON decoded off the loop),
each batch's rows built and written in a worker thread (the event loop keeps dialling),
the CSV streamed batch by batch, the XLSX
written by openpyxl's write-only workbook (rows go to a temporary file as they come).
``python -m bench.person_results`` measures time and peak memory for 10,500 people.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]  # no stubs (types-openpyxl not installed)
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

from dialer.core.windows import PARIS
from dialer.csv_output import csv_writer
from dialer.errors import ConflictError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.reports.exports import BOM, csv_cell, sheet_title, xlsx_value
from dialer.reports.person_results import (
    PersonResult,
    ResultColumns,
    person_result,
    result_cells,
    result_columns,
)
from dialer.reports.tables import Cell
from dialer.storage.database import SessionFactory
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.person_results import (
    PersonResultRows,
    PersonResultsRepository,
    ResultScope,
)

#: people read (and written) at a time
BATCH = 100
RESULT_FORMATS = ("csv", "xlsx")
SHEET_TITLE = "Résultats par personne"


def _built(rows: Sequence[PersonResultRows], columns: ResultColumns) -> list[PersonResult]:
    return [person_result(r, columns) for r in rows]


@dataclass(frozen=True)
class ResultExport:
    """One export's scope (the cycles, everyone on them) and columns; rows come in
    batches (:meth:`results`)."""

    scope: ResultScope
    columns: ResultColumns
    file_stem: str
    zone: ZoneInfo
    repository: PersonResultsRepository

    @property
    def row_count(self) -> int:
        """Rows of the whole export: one per person and cycle."""
        return len(self.scope.members)

    async def results(
        self, offset: int = 0, limit: int | None = None
    ) -> AsyncIterator[list[PersonResult]]:
        """The people from rank ``offset`` (``limit`` of them, or all), batch by batch."""
        end = None if limit is None else offset + limit
        members = self.scope.members[offset:end]
        for start in range(0, len(members), BATCH):
            rows = await self.repository.batch(self.scope, members[start : start + BATCH])
            yield await asyncio.to_thread(_built, rows, self.columns)

    def _cells(self, batch: Sequence[PersonResult]) -> list[list[Cell]]:
        return [result_cells(result, self.columns, self.zone) for result in batch]

    def _csv_chunk(self, batch: Sequence[PersonResult] | None) -> bytes:
        buffer = io.StringIO()
        writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
        if batch is None:
            buffer.write(BOM)
            writer.writerow(self.columns.headers)
        else:
            for cells in self._cells(batch):
                writer.writerow([csv_cell(value, self.zone) for value in cells])
        return buffer.getvalue().encode("utf-8")

    async def csv_chunks(self) -> AsyncIterator[bytes]:
        """The CSV, the header (BOM first) then one chunk per batch."""
        yield self._csv_chunk(None)
        async for batch in self.results():
            yield await asyncio.to_thread(self._csv_chunk, batch)

    async def xlsx(self) -> bytes:
        """The workbook: one sheet, header in bold and frozen, dates as dates."""
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(sheet_title(SHEET_TITLE, set()))
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)

        def header() -> list[WriteOnlyCell]:
            cells = []
            for title in self.columns.headers:
                cell = WriteOnlyCell(sheet, value=title)
                cell.font = bold
                cells.append(cell)
            return cells

        def cell(value: Cell) -> object:
            if isinstance(value, str) and value.startswith("="):
                text = WriteOnlyCell(sheet, value=value)
                text.data_type = "s"  # text, never a formula
                return text
            if isinstance(value, datetime):
                moment = WriteOnlyCell(sheet, value=xlsx_value(value, self.zone))
                moment.number_format = "dd/mm/yyyy hh:mm"
                return moment
            return value

        def append(batch: Sequence[PersonResult]) -> None:
            for cells in self._cells(batch):
                sheet.append([cell(value) for value in cells])

        def save() -> bytes:
            buffer = io.BytesIO()
            workbook.save(buffer)
            return buffer.getvalue()

        await asyncio.to_thread(lambda: sheet.append(header()))
        async for batch in self.results():
            await asyncio.to_thread(append, batch)
        return await asyncio.to_thread(save)

    async def write(self, path: Path, fmt: str) -> None:
        """The export as ``fmt`` (csv, xlsx) into the file ``path``."""
        if fmt == "xlsx":
            content = await self.xlsx()
            await asyncio.to_thread(path.write_bytes, content)
            return
        handle = await asyncio.to_thread(path.open, "wb")
        try:
            async for chunk in self.csv_chunks():
                await asyncio.to_thread(handle.write, chunk)
        finally:
            await asyncio.to_thread(handle.close)


class PersonResults:
    """Opens the per-person results of a campaign's cycle(s) or of an episode."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        catalog: QuestionnaireCatalog | None,
        zone: ZoneInfo = PARIS,
    ) -> None:
        self.repository = PersonResultsRepository(sessions)
        self.episodes = EpisodeRepository(sessions)
        self.catalog = catalog
        self.zone = zone

    async def _open(self, campaign_id: int, cycle: int | None, stem: str) -> ResultExport:
        scope = await self.repository.scope(campaign_id, cycle)
        columns = await asyncio.to_thread(result_columns, scope, self.catalog)
        return ResultExport(scope, columns, stem, self.zone, self.repository)

    async def for_campaign(self, campaign_id: int, cycle: int | None) -> ResultExport:
        """Cycle ``cycle`` of the campaign, or all its cycles (None). :class:`NotFoundError`
        for an unknown campaign or cycle."""
        which = f"cycle-{cycle}" if cycle is not None else "tous-cycles"
        return await self._open(campaign_id, cycle, f"resultats-campagne-{campaign_id}-{which}")

    async def for_episode(self, episode_id: int) -> ResultExport:
        """Every cycle of the episode. :class:`NotFoundError` for an unknown episode,
        :class:`ConflictError` for one without a campaign."""
        episode = await self.episodes.get(episode_id)
        if episode.campaign_id is None:
            raise ConflictError(f"l'épisode n° {episode_id} n'a pas de campagne : aucun appel")
        return await self._open(episode.campaign_id, None, f"resultats-episode-{episode_id}")
