"""Small cells suppressed (needs analysis): over random tables of counts, no published
entry (cell or total) counts fewer than the threshold but zero, and no suppressed entry
can be worked out from the published ones: checked by linear algebra (an entry is
determined when its unit vector lies in the row space of the lines' equations over the
suppressed entries), independently of the suppression's own graph rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.core.small_cells import PublishedTable, extended, publish, publish_linked


def determined(table: PublishedTable, truth: list[list[int]]) -> list[tuple[int, int]]:
    """The suppressed entries whose value the published entries fix."""
    grid = table.grid()
    height, width = len(grid), len(grid[0])
    unknown = [(r, c) for r in range(height) for c in range(width) if grid[r][c] is None]
    if not unknown:
        return []
    index = {entry: i for i, entry in enumerate(unknown)}
    equations = []
    for r in range(height):  # each row's entries sum to its last one
        line = np.zeros(len(unknown))
        for c in range(width):
            if (r, c) in index:
                line[index[(r, c)]] = -1.0 if c == width - 1 else 1.0
        equations.append(line)
    for c in range(width):  # each column's entries sum to its bottom one
        line = np.zeros(len(unknown))
        for r in range(height):
            if (r, c) in index:
                line[index[(r, c)]] = -1.0 if r == height - 1 else 1.0
        equations.append(line)
    system = np.array(equations)
    rank = np.linalg.matrix_rank(system)
    found = []
    for entry, i in index.items():
        unit = np.zeros(len(unknown))
        unit[i] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            found.append(entry)
    return found


counts = st.integers(min_value=1, max_value=5).flatmap(
    lambda width: st.lists(
        st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)), min_size=width, max_size=width),
        min_size=1,
        max_size=6,
    )
)


@settings(max_examples=400, deadline=None)
@given(cells=counts, threshold=st.integers(min_value=2, max_value=11))
def test_no_small_entry_is_published_and_none_suppressed_is_recoverable(
    cells: list[list[int]], threshold: int
) -> None:
    rows = [f"l{i}" for i in range(len(cells))]
    columns = [f"c{i}" for i in range(len(cells[0]))]
    table = publish(rows, columns, cells, threshold)
    truth = extended(cells)
    for r, line in enumerate(table.grid()):
        for c, value in enumerate(line):
            if value is not None:
                assert value == truth[r][c]  # what is published is true
                assert value == 0 or value >= threshold
    assert determined(table, truth) == []


def test_a_single_small_cell_takes_others_with_it() -> None:
    table = publish(["a", "b"], ["x", "y"], [[2, 10], [7, 12]], 5)
    # the classic answer: the four cells go, every total stays
    assert table.cells == ((None, None), (None, None))
    assert (table.row_totals, table.column_totals, table.total) == ((12, 19), (9, 22), 31)


def test_big_enough_tables_publish_everything() -> None:
    table = publish(["a"], ["x", "y"], [[5, 9]], 5)
    assert table.cells == ((5, 9),)
    assert (table.row_totals, table.column_totals, table.total) == ((14,), (5, 9), 14)


@settings(max_examples=150, deadline=None)
@given(
    first=st.integers(2, 4).flatmap(
        lambda height: st.tuples(
            st.lists(
                st.lists(st.integers(0, 9), min_size=3, max_size=3),
                min_size=height,
                max_size=height,
            ),
            st.lists(
                st.lists(st.integers(0, 9), min_size=2, max_size=2),
                min_size=height,
                max_size=height,
            ),
        )
    )
)
def test_linked_tables_hide_the_same_totals(first: tuple[list[list[int]], list[list[int]]]) -> None:
    """Needs by district and by month share their kinds' totals: hidden in one, hidden in
    the other, and still nothing suppressed is recoverable in either."""
    by_area, by_month = first
    rows = [f"l{i}" for i in range(len(by_area))]
    a, b = publish_linked((rows, ["x", "y", "z"], by_area), (rows, ["m1", "m2"], by_month), 5)
    hidden_a = [line[-1] is None for line in a.grid()]
    hidden_b = [line[-1] is None for line in b.grid()]
    assert hidden_a == hidden_b
    assert determined(a, extended(by_area)) == []
    assert determined(b, extended(by_month)) == []
