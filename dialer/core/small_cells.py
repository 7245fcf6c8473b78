"""Publishing counts that identify nobody: a cell (or a total) counting fewer than the
threshold's people is suppressed (primary suppression), and enough other cells with it
that no suppressed cell can be worked out from the published row and column totals
(secondary suppression). Pure.

The table with its margins is a grid of (rows + 1) × (columns + 1) entries: each row of
it sums to its last entry, each column to its bottom one. Someone who knows the published
entries knows every line's sum; a suppressed entry is recoverable exactly when it is
alone suppressed in a line, or, more generally, when the suppressed entries' lines fix it
(its edge is a bridge of the bipartite graph « row line — column line » the suppressed
entries draw: an entry on a cycle of suppressed entries can move by ± along it and every
line keeps its sum). Secondary suppression adds, one at a time, the smallest published
entry that closes such a cycle (else one of its line's), until no entry is exposed. A
zero is published: it counts nobody. Tables that share totals are suppressed together:
:func:`publish_linked`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

Entry = tuple[int, int]


@dataclass(frozen=True)
class PublishedTable:
    """A table of counts as published: ``None`` where an entry is suppressed."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    total: int | None
    threshold: int

    def grid(self) -> list[list[int | None]]:
        """The entries with their margins: rows + the totals' row, columns + total."""
        lines = [[*self.cells[r], self.row_totals[r]] for r in range(len(self.rows))]
        return [*lines, [*self.column_totals, self.total]]


def extended(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    """``cells`` with each row's total appended and the columns' totals as a last row."""
    width = len(cells[0]) if cells else 0
    lines = [[*row, sum(row)] for row in cells]
    bottom = [sum(row[c] for row in lines) for c in range(width + 1)]
    return [*lines, bottom]


def _reach(hidden: set[Entry], node: tuple[str, int], *, without: Entry) -> set[tuple[str, int]]:
    """The lines (``("r", i)``, ``("c", j)``) joined to ``node`` by hidden entries other
    than ``without``."""
    seen = {node}
    frontier = [node]
    while frontier:
        kind, index = frontier.pop()
        for r, c in hidden:
            if (r, c) == without:
                continue
            if kind == "r" and r == index:
                other = ("c", c)
            elif kind == "c" and c == index:
                other = ("r", r)
            else:
                continue
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return seen


def exposed(hidden: set[Entry]) -> Entry | None:
    """A hidden entry the published ones determine (a bridge), or None."""
    for entry in sorted(hidden):
        if ("c", entry[1]) not in _reach(hidden, ("r", entry[0]), without=entry):
            return entry
    return None


def _pick(grid: list[list[int]], hidden: set[Entry], candidates: list[Entry]) -> Entry | None:
    """The entry to suppress among ``candidates``: the smallest count above zero, else a
    zero (a zero hidden among others hides them too)."""
    free = [e for e in candidates if e not in hidden]
    if not free:
        return None
    return min(free, key=lambda e: (grid[e[0]][e[1]] == 0, grid[e[0]][e[1]], e))


def suppressed_entries(
    grid: list[list[int]], threshold: int, also: Collection[Entry] = ()
) -> set[Entry]:
    """Which entries of ``grid`` (cells and margins, :func:`extended`) to suppress;
    ``also``: entries suppressed in any case (a total another table hides)."""
    height, width = len(grid), len(grid[0])
    small = {(r, c) for r in range(height) for c in range(width) if 0 < grid[r][c] < threshold}
    hidden = small | set(also)
    everywhere = [(r, c) for r in range(height) for c in range(width)]
    while (entry := exposed(hidden)) is not None:
        row, column = entry
        one_side = _reach(hidden, ("r", row), without=entry)
        other_side = _reach(hidden, ("c", column), without=entry)
        # best: an entry joining the two sides, which puts this one on a cycle
        closing = [
            (r, c)
            for r, c in everywhere
            if (("r", r) in one_side and ("c", c) in other_side)
            or (("r", r) in other_side and ("c", c) in one_side)
        ]
        # else grow the side where it is alone, then try again
        in_row = [(row, c) for c in range(width)]
        in_column = [(r, column) for r in range(height)]
        alone_in_row = sum(1 for e in in_row if e in hidden) == 1
        lines = (in_row, in_column) if alone_in_row else (in_column, in_row)
        choice = (
            _pick(grid, hidden, closing)
            or _pick(grid, hidden, lines[0])
            or _pick(grid, hidden, lines[1])
            or _pick(grid, hidden, everywhere)
        )
        if choice is None:  # pragma: no cover - every entry hidden: no bridge is left
            break
        hidden.add(choice)
    return hidden


def publish(
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[int]],
    threshold: int,
    *,
    also: Collection[Entry] = (),
) -> PublishedTable:
    """The table of ``cells`` (one row of counts per label of ``rows``) as published with
    at least ``threshold`` people in each published entry but zeros; ``also``: entries
    of the grid with margins to suppress in any case."""
    if threshold < 1:
        raise ValueError("threshold: at least 1")
    grid = extended(cells)
    hidden = suppressed_entries(grid, threshold, also)
    shown = [
        [None if (r, c) in hidden else value for c, value in enumerate(line)]
        for r, line in enumerate(grid)
    ]
    return PublishedTable(
        rows=tuple(rows),
        columns=tuple(columns),
        cells=tuple(tuple(line[:-1]) for line in shown[:-1]),
        row_totals=tuple(line[-1] for line in shown[:-1]),
        column_totals=tuple(shown[-1][:-1]),
        total=shown[-1][-1],
        threshold=threshold,
    )


def publish_linked(
    first: tuple[Sequence[str], Sequence[str], Sequence[Sequence[int]]],
    second: tuple[Sequence[str], Sequence[str], Sequence[Sequence[int]]],
    threshold: int,
) -> tuple[PublishedTable, PublishedTable]:
    """Two tables with the same rows whose row totals (and grand total) say the same
    thing (the households with each need, by district and by month): a total hidden in
    one is hidden in the other, so that neither gives it back, until both agree."""
    also_first: set[Entry] = set()
    also_second: set[Entry] = set()
    while True:
        a = publish(*first, threshold, also=also_first)
        b = publish(*second, threshold, also=also_second)
        hidden_a = {r for r, line in enumerate(a.grid()) if line[-1] is None}
        hidden_b = {r for r, line in enumerate(b.grid()) if line[-1] is None}
        wanted_first = also_first | {(r, len(first[1])) for r in hidden_b}
        wanted_second = also_second | {(r, len(second[1])) for r in hidden_a}
        if (wanted_first, wanted_second) == (also_first, also_second):
            return a, b
        also_first, also_second = wanted_first, wanted_second
