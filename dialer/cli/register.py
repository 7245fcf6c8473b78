"""``dialer register import``: the register of people to call, read from a CSV or XLSX file,
with its progress on stderr."""

from __future__ import annotations

import asyncio
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dialer.cli.context import database, record_cli_change, settings_of
from dialer.register import ImportProgress, ImportReport, ImportStep, import_register
from dialer.storage.list_rows import DEFAULT_LIST
from dialer.storage.selection import list_counts

if TYPE_CHECKING:  # the type click.progressbar() returns; click does not export it
    from click._termui_impl import ProgressBar


@click.group()
def register() -> None:
    """Le fichier des personnes à appeler (registre)."""


@register.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier de correspondance colonnes → champs.",
)
@click.option("--dry-run", is_flag=True, help="Montrer ce qui changerait, sans rien écrire.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Où écrire les lignes rejetées (défaut : FICHIER-rejets.csv).",
)
@click.option(
    "--list",
    "list_name",
    default=DEFAULT_LIST,
    show_default=True,
    help="La liste importée (ses personnes absentes du fichier en sortent).",
)
@click.pass_context
def register_import(  # noqa: PLR0917 - click passes every option
    ctx: click.Context,
    file: Path,
    mapping: Path | None,
    dry_run: bool,
    rejects: Path | None,
    list_name: str,
) -> None:
    """Importe (ou met à jour) une liste du registre depuis un CSV ou un XLSX."""
    settings = settings_of(ctx)

    async def run() -> ImportReport:
        async with database(settings) as sessions:
            with _ImportDisplay(_estimated_rows(file)) as display:
                return await import_register(
                    sessions,
                    file,
                    mapping=mapping,
                    dry_run=dry_run,
                    rejects_path=rejects,
                    on_progress=display.show,
                    now=datetime.now(UTC),
                    list_name=list_name,
                )

    report = asyncio.run(run())
    if not dry_run:
        counts: dict[str, Any] = {
            "read": report.read,
            "added": report.added,
            "changed": report.changed,
        }
        counts |= {"removed": report.removed, "rejected": report.rejected, "list": list_name}
        asyncio.run(record_cli_change(settings, "register.import", f"register:{file.name}", counts))
    click.echo(report.summary_fr())
    for issue in report.issues[:20]:
        column = f", colonne « {issue.column} »" if issue.column else ""
        value = f" ({issue.value!r})" if issue.value else ""
        click.echo(f"  ligne {issue.line}{column} : {issue.reason}{value}")
    if report.issue_count > 20:
        click.echo(
            f"  … {report.issue_count - 20} autres (les lignes rejetées et valeurs ignorées "
            "sont toutes dans le fichier des rejets)"
        )


@click.command("lists")
@click.pass_context
def lists(ctx: click.Context) -> None:
    """Les listes de personnes et combien de personnes chacune compte."""

    async def run() -> list[tuple[str, int]]:
        async with database(settings_of(ctx)) as sessions:
            return await list_counts(sessions)

    found = asyncio.run(run())
    if not found:
        click.echo("Aucune liste : importez un fichier (dialer register import FICHIER).")
    for name, people in found:
        click.echo(f"{name} : {people} personne{'s' if people >= 2 else ''}")


class _ImportDisplay:
    """An import's progress on stderr: a bar for the rows checked and one for the writing,
    a line for the other steps."""

    def __init__(self, rows: int) -> None:
        self._rows = rows
        self._step: ImportStep | None = None
        self._bar: ProgressBar[int] | None = None
        self._open = ExitStack()  # the current bar

    def __enter__(self) -> _ImportDisplay:
        return self

    def __exit__(self, *_: object) -> None:
        self._open.close()

    def show(self, progress: ImportProgress) -> None:
        if progress.step is not self._step:
            self._open.close()
            self._bar, self._step = None, progress.step
            length = self._rows if progress.step is ImportStep.CHECK else progress.total
            if length or progress.step is ImportStep.CHECK:
                bar = click.progressbar(
                    length=length, label=progress.step.value, show_pos=True, file=sys.stderr
                )
                self._bar = self._open.enter_context(bar)
            else:
                click.echo(f"{progress.step.value}…", err=True)
        if self._bar is not None:
            self._bar.update(progress.done - self._bar.pos)


def _estimated_rows(path: Path) -> int:
    """Rows in a CSV (its line count, for the progress bar); 0 when unknown (XLSX)."""
    if path.suffix.lower() not in {".csv", ".txt"} or not path.is_file():
        return 0
    with path.open("rb") as handle:
        return max(
            0, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1
        )
