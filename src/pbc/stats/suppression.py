"""Small-number disclosure control for published tables.

Primary suppression hides small counts; secondary (complementary) suppression hides
further cells so that no suppressed cell can be worked out exactly from the published
row and column totals; the remaining cells and the totals are then rounded.

The rule is a dated setting (``DisclosureRule``), not a constant:

* ``HES_2018``: NHS Digital's Hospital Episode Statistics analysis guide since 2018,
  counts of 1 to 7 suppressed and all other counts rounded to the nearest 5;
* ``HES_BEFORE_2018``: counts of 1 to 5 suppressed, others published unrounded.

Zero is never suppressed: it discloses nothing about an individual. Totals that are
themselves small are withheld, as are line totals of one-row or one-column tables (they
would repeat the cells).

Every cell, row total, column total and the grand total is a quantity; the table's
additivity ("a line's cells sum to its total", "the totals sum to the grand total") is a
set of linear equations. A hidden quantity is recoverable when the published quantities
determine it exactly, checked with exact rational Gaussian elimination. Secondary
suppression repeats "while some hidden quantity is recoverable, hide the smallest
non-zero visible cell in its row or column (for a total, the smallest other total)".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

Cell = tuple[int, int]


@dataclass(frozen=True)
class DisclosureRule:
    """Counts in ``[suppress_from, suppress_to]`` are hidden; the rest rounded to ``round_to``."""

    name: str
    suppress_from: int
    suppress_to: int
    round_to: int
    valid_from: dt.date | None = None


HES_2018 = DisclosureRule("HES since 2018", 1, 7, 5, dt.date(2018, 4, 1))
HES_BEFORE_2018 = DisclosureRule("HES before 2018", 1, 5, 1, None)


@dataclass(frozen=True)
class SuppressedTable:
    """A table ready to publish: None marks a hidden cell or withheld total."""

    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    grand_total: int | None
    primary: frozenset[Cell]
    secondary: frozenset[Cell]


def round_to(value: int, base: int) -> int:
    """Round half up to the nearest multiple of ``base`` (``base`` 1 leaves it alone)."""
    return value if base <= 1 else ((value + base // 2) // base) * base


Quantity = tuple[str, int, int]
"""A table quantity: ("cell", r, c), ("row", r, 0), ("column", 0, c) or ("grand", 0, 0)."""


def _equations(n_rows: int, n_cols: int) -> list[dict[Quantity, int]]:
    """The table's additivity: each line's cells minus its total, totals minus the grand."""
    equations: list[dict[Quantity, int]] = []
    for r in range(n_rows):
        equation = {("cell", r, c): 1 for c in range(n_cols)}
        equation[("row", r, 0)] = -1
        equations.append(equation)
    for c in range(n_cols):
        equation = {("cell", r, c): 1 for r in range(n_rows)}
        equation[("column", 0, c)] = -1
        equations.append(equation)
    for kind, count in (("row", n_rows), ("column", n_cols)):
        equation = {(kind, i, 0) if kind == "row" else (kind, 0, i): 1 for i in range(count)}
        equation[("grand", 0, 0)] = -1
        equations.append(equation)
    return equations


def recoverable(hidden: set[Quantity], equations: Sequence[dict[Quantity, int]]) -> set[Quantity]:
    """Hidden quantities whose value follows exactly from the published ones.

    Published quantities are constants, so only the hidden columns of the equations
    matter; a hidden quantity is determined when, in reduced row echelon form, it is a
    pivot whose row has no free (undetermined) variables.
    """
    unknowns = sorted(hidden)
    matrix = [
        [Fraction(equation.get(q, 0)) for q in unknowns]
        for equation in equations
        if any(q in hidden for q in equation)
    ]
    pivots: list[int] = []
    row = 0
    for col in range(len(unknowns)):
        pivot = next((r for r in range(row, len(matrix)) if matrix[r][col] != 0), None)
        if pivot is None:
            continue
        matrix[row], matrix[pivot] = matrix[pivot], matrix[row]
        lead = matrix[row][col]
        matrix[row] = [v / lead for v in matrix[row]]
        for r in range(len(matrix)):
            if r != row and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[row], strict=True)]
        pivots.append(col)
        row += 1
    free = set(range(len(unknowns))) - set(pivots)
    return {unknowns[col] for r, col in enumerate(pivots) if all(matrix[r][f] == 0 for f in free)}


def _next_to_hide(
    exposed: Sequence[Quantity], hidden: set[Quantity], values: dict[Quantity, int]
) -> Quantity | None:
    """The quantity to hide next so that fewer hidden quantities are determined.

    Prefer a visible cell sharing a row or column with an exposed cell, in a line where
    that exposed cell is the only hidden cell, and which itself sits in another line
    with exactly one hidden cell (so that one extra cell protects two); then non-zero
    before zero, then the smallest. Exposed totals are protected by hiding the smallest
    other visible total of the same kind, then the grand total.
    """
    cells = [q for q in values if q[0] == "cell"]
    n_rows = 1 + max(q[1] for q in cells)
    n_cols = 1 + max(q[2] for q in cells)

    def row_cells(r: int) -> list[Quantity]:
        return [("cell", r, j) for j in range(n_cols)]

    def column_cells(c: int) -> list[Quantity]:
        return [("cell", i, c) for i in range(n_rows)]

    def hidden_count(line: list[Quantity]) -> int:
        return sum(q in hidden for q in line)

    best: tuple[tuple[int, int, bool, int], Quantity] | None = None
    for kind, r, c in exposed:
        if kind != "cell":
            continue
        for line, weak_total in (
            (row_cells(r), ("row", r, 0)),
            (column_cells(c), ("column", 0, c)),
        ):
            weak = weak_total not in hidden and hidden_count(line) == 1
            for q in line:
                if q in hidden:
                    continue
                _, i, j = q
                other = column_cells(j) if line[0][1] == line[-1][1] else row_cells(i)
                pairs = hidden_count(other) == 1
                key = (int(not weak), int(not pairs), values[q] == 0, values[q])
                if best is None or (key, q) < (best[0], best[1]):
                    best = (key, q)
    if best is not None:
        return best[1]
    for kind, r, c in exposed:
        if kind == "cell":
            totals = [t for t in (("row", r, 0), ("column", 0, c)) if t not in hidden]
            if totals:
                return totals[0]
            continue
        same = [q for q in values if q[0] == kind and q not in hidden and kind != "grand"]
        if same:
            return min(same, key=lambda q: (values[q] == 0, values[q], q))
        if ("grand", 0, 0) not in hidden:
            return ("grand", 0, 0)
    return None


def suppress(
    table: Sequence[Sequence[int]],
    rule: DisclosureRule = HES_2018,
    *,
    secondary: bool = True,
) -> SuppressedTable:
    """Apply primary and secondary suppression and rounding to a table of counts.

    Row, column and grand totals are computed from the true counts; small totals are
    hidden like small cells, and line totals of a one-row or one-column table (which
    would repeat the cells) are not published. Published values are then rounded.
    """
    n_rows = len(table)
    n_cols = len(table[0]) if n_rows else 0
    if n_rows == 0 or n_cols == 0:
        raise ValueError("the table must have at least one row and one column")
    if any(len(row) != n_cols for row in table):
        raise ValueError("every row of the table must have the same number of cells")
    if any(v < 0 for row in table for v in row):
        raise ValueError("counts must be zero or more")

    values: dict[Quantity, int] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            values[("cell", r, c)] = table[r][c]
        values[("row", r, 0)] = sum(table[r])
    for c in range(n_cols):
        values[("column", 0, c)] = sum(table[r][c] for r in range(n_rows))
    values[("grand", 0, 0)] = sum(values[("row", r, 0)] for r in range(n_rows))

    def small(value: int) -> bool:
        return rule.suppress_from <= value <= rule.suppress_to

    hidden = {q for q, v in values.items() if small(v)}
    primary = frozenset((q[1], q[2]) for q in hidden if q[0] == "cell")
    # totals that would only repeat a cell are not published, and need no protection
    redundant: set[Quantity] = set()
    if n_cols == 1:
        redundant |= {("row", r, 0) for r in range(n_rows)}
    if n_rows == 1:
        redundant |= {("column", 0, c) for c in range(n_cols)}
    hidden |= redundant

    equations = _equations(n_rows, n_cols)
    while secondary:
        exposed = sorted(recoverable(hidden, equations) - redundant)
        if not exposed:
            break
        extra = _next_to_hide(exposed, hidden, values)
        if extra is None:  # nothing left to hide around it: hide everything
            hidden |= set(values)
            break
        hidden.add(extra)

    base = rule.round_to

    def published(q: Quantity) -> int | None:
        return None if q in hidden else round_to(values[q], base)

    cells_hidden = {(q[1], q[2]) for q in hidden if q[0] == "cell"}
    return SuppressedTable(
        cells=tuple(tuple(published(("cell", r, c)) for c in range(n_cols)) for r in range(n_rows)),
        row_totals=tuple(published(("row", r, 0)) for r in range(n_rows)),
        column_totals=tuple(published(("column", 0, c)) for c in range(n_cols)),
        grand_total=published(("grand", 0, 0)),
        primary=primary,
        secondary=frozenset(cells_hidden - primary),
    )
