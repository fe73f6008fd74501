"""Small-number suppression: primary rule, rounding and no recoverable hidden value."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbc.stats import HES_2018, HES_BEFORE_2018, suppress


def hidden_values_are_determined(table, result) -> list[tuple]:
    """Hidden quantities that the published ones pin down exactly (independent check).

    Unknowns: hidden cells and totals. Equations: every row's and column's cells sum to
    its total, and the row totals and column totals each sum to the grand total. A
    hidden quantity is determined iff its unit vector is in the row space of the
    equations restricted to the unknowns (numpy rank test).
    """
    n_rows, n_cols = len(table), len(table[0])
    quantities = [("cell", r, c) for r in range(n_rows) for c in range(n_cols)]
    quantities += [("row", r) for r in range(n_rows)] + [("column", c) for c in range(n_cols)]
    quantities += [("grand",)]
    published = {("cell", r, c): result.cells[r][c] for r in range(n_rows) for c in range(n_cols)}
    published.update({("row", r): result.row_totals[r] for r in range(n_rows)})
    published.update({("column", c): result.column_totals[c] for c in range(n_cols)})
    published[("grand",)] = result.grand_total
    unknown = [q for q in quantities if published[q] is None]
    equations = []
    for r in range(n_rows):
        equations.append({**{("cell", r, c): 1 for c in range(n_cols)}, ("row", r): -1})
    for c in range(n_cols):
        equations.append({**{("cell", r, c): 1 for r in range(n_rows)}, ("column", c): -1})
    equations.append({**{("row", r): 1 for r in range(n_rows)}, ("grand",): -1})
    equations.append({**{("column", c): 1 for c in range(n_cols)}, ("grand",): -1})
    matrix = np.array([[e.get(q, 0) for q in unknown] for e in equations], dtype=float)
    rank = np.linalg.matrix_rank(matrix) if unknown else 0
    redundant = {("column", c) for c in range(n_cols)} if n_rows == 1 else set()
    redundant |= {("row", r) for r in range(n_rows)} if n_cols == 1 else set()
    determined = []
    for i, q in enumerate(unknown):
        if q in redundant:
            continue
        unit = np.zeros(len(unknown))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            determined.append(q)
    return determined


tables = st.integers(1, 4).flatmap(
    lambda cols: st.lists(
        st.lists(st.integers(0, 40), min_size=cols, max_size=cols), min_size=1, max_size=4
    )
)


@settings(max_examples=80, deadline=None)
@given(table=tables, rule=st.sampled_from([HES_2018, HES_BEFORE_2018]))
def test_suppression_never_leaves_a_recoverable_value(table, rule):
    result = suppress(table, rule)
    assert hidden_values_are_determined(table, result) == []
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            shown = result.cells[r][c]
            if rule.suppress_from <= value <= rule.suppress_to:
                assert shown is None and (r, c) in result.primary
            if shown is not None:
                assert shown % rule.round_to == 0
                assert abs(shown - value) <= rule.round_to // 2
    totals = [*result.row_totals, *result.column_totals, result.grand_total]
    for total in totals:
        assert total is None or not rule.suppress_from <= total <= rule.suppress_to


def test_hes_2018_example():
    result = suppress([[3, 20, 40], [15, 25, 30], [12, 8, 50]])
    assert result.primary == {(0, 0)}
    # the cheapest rectangle that protects the 3: row 0 and column 0 partners
    assert result.secondary == {(0, 1), (2, 0), (2, 1)}
    assert result.cells == ((None, None, 40), (15, 25, 30), (None, None, 50))
    assert result.row_totals == (65, 70, 70)
    assert result.column_totals == (30, 55, 120)
    assert result.grand_total == 205


def test_before_2018_rule_suppresses_1_to_5_and_does_not_round():
    result = suppress([[6, 21], [5, 33]], HES_BEFORE_2018)
    assert result.primary == {(1, 0)}
    assert result.cells == ((None, None), (None, None))  # a 2x2 table needs all four hidden
    assert result.row_totals == (27, 38) and result.grand_total == 65
    assert suppress([[6, 21], [8, 33]], HES_BEFORE_2018).cells == ((6, 21), (8, 33))
    assert suppress([[6, 21], [8, 33]], HES_2018).cells == ((None, None), (None, None))


def test_one_row_table_hides_a_partner_cell():
    result = suppress([[3, 20, 40]])
    assert result.cells == ((None, None, 40),)
    assert result.row_totals == (65,)
    assert result.column_totals == (None, None, None)


def test_zero_is_not_suppressed_and_small_totals_are():
    result = suppress([[0, 0], [0, 9]])
    assert result.cells == ((0, 0), (0, 10))
    assert suppress([[3]]).grand_total is None


def test_secondary_suppression_can_be_turned_off():
    result = suppress([[3, 20], [15, 25]], secondary=False)
    assert result.cells == ((None, 20), (15, 25)) and result.secondary == frozenset()


def test_ragged_or_negative_tables_are_rejected():
    with pytest.raises(ValueError):
        suppress([[1, 2], [3]])
    with pytest.raises(ValueError):
        suppress([[-1]])
