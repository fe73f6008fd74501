"""Each PCT's local price list prices its own commissioner's rows (issue 13).

`local_prices` is keyed by PCT (`commissioner_code`): a row is priced from its commissioner's
list only. The demo's PCTs agree the same list, so the demo's figures are those of one list.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest

from pbc.analytics import costing

MONEY = pa.decimal128(14, 2)


def _tables(con: ibis.BaseBackend) -> tuple[ibis.Table, ibis.Table, ibis.Table]:
    tariff = con.create_table("tariff", pa.table({
        "financial_year": ["2008/09"], "point_of_delivery": ["OPFA"], "hrg_code": pa.array([None], pa.string()),
        "treatment_function_code": ["100"], "price": pa.array([Decimal("100.00")], MONEY),
        "trim_point_days": pa.array([None], pa.int64()),
        "excess_bed_day_rate": pa.array([None], MONEY),
        "short_stay_max_los_days": pa.array([None], pa.int64()),
        "short_stay_min_age": pa.array([None], pa.int64()),
    }))  # fmt: skip
    mff = con.create_table("mff", pa.table({
        "financial_year": ["2008/09"], "provider_code": ["RWG"],
        "market_forces_factor": pa.array([Decimal("1.1000")], pa.decimal128(6, 4)),
    }))  # fmt: skip
    local = con.create_table("local", pa.table({
        "commissioner_code": ["5P3", "5P2", "5P3"],
        "financial_year": ["2008/09"] * 3,
        "point_of_delivery": ["IMG", "IMG", "OPFA"],
        "hrg_code": ["RA01Z", "RA01Z", None],
        "treatment_function_code": [None, None, "100"],  # the national tariff prices this one
        "price": pa.array([Decimal("50.00"), Decimal("70.00"), Decimal("1.00")], MONEY),
    }))  # fmt: skip
    return tariff, mff, local


def test_imaging_is_priced_from_its_commissioners_list() -> None:
    con = ibis.duckdb.connect()
    tariff, mff, local = _tables(con)
    imaging = con.create_table("imaging", pa.table({
        "imaging_id": ["a", "b", "c"], "provider_code": ["RWG"] * 3,
        "imaging_date": [dt.date(2008, 6, 1)] * 3, "hrg_code": ["RA01Z"] * 3,
        "commissioner_code": ["5P3", "5P2", "5Q9"],  # 5Q9 agreed no local list
        "charged_price": pa.array([Decimal("10.00")] * 3, MONEY),
    }))  # fmt: skip
    rows = con.to_pyarrow(costing.cost("imaging", imaging, tariff, mff, local)).to_pylist()
    got = {r["commissioner_code"]: (r["expected_price"], r["price_source"]) for r in rows}
    assert got == {
        "5P3": (Decimal("55.00"), "local"),  # 50.00 x 1.1
        "5P2": (Decimal("77.00"), "local"),  # 70.00 x 1.1
        "5Q9": (None, None),  # unpriced, never the other PCT's price
    }


def test_a_local_price_never_overrides_the_national_tariff() -> None:
    con = ibis.duckdb.connect()
    tariff, mff, local = _tables(con)
    op = con.create_table("op", pa.table({
        "attendance_id": ["o1"], "provider_code": ["RWG"],
        "attendance_date": [dt.date(2008, 6, 1)], "procedure_flag": [False],
        "first_attendance": ["1"], "attended_or_did_not_attend": ["5"],
        "treatment_function_code": ["100"], "hrg_code": pa.array([None], pa.string()),
        "commissioner_code": ["5P3"],
        "charged_price": pa.array([Decimal("110.00")], MONEY),
    }))  # fmt: skip
    (row,) = con.to_pyarrow(costing.cost("op", op, tariff, mff, local)).to_pylist()
    assert (row["expected_price"], row["price_source"]) == (Decimal("110.00"), "tariff")


@pytest.mark.django_db
@pytest.mark.any_database  # reads the demo's warehouse only: not again on PostgreSQL
def test_the_demo_figures_are_those_of_one_list() -> None:
    """Costing the demo's activity with the per-PCT lists gives, row for row, what one shared
    list (one PCT's copy without the key) gives."""
    from pbc.warehouse import engine as wh

    con = wh.connect()
    tariff, mff = wh.table(con, "tariff"), wh.table(con, "market_forces_factors")
    keyed = wh.table(con, "local_prices")
    pcts = con.to_pyarrow(keyed.select("commissioner_code").distinct())["commissioner_code"]
    assert sorted(pcts.to_pylist()) == ["5P2", "5P3"]
    shared = keyed.filter(keyed.commissioner_code == "5P3").drop(
        "commissioner_code", "commissioner_code_valid"
    )

    def totals(costed: Any) -> tuple[int, int]:
        """The costed rows' expected pence and how many were priced locally, in one query."""
        local = (costed.price_source == "local").sum()
        row = con.to_pyarrow(costed.aggregate(p=costed.expected_pence.sum(), n=local)).to_pylist()
        return row[0]["p"], row[0]["n"]

    priced_locally = 0
    for name in ("apc", "op", "imaging"):
        table = wh.table(con, name)
        a, local_a = totals(costing.cost(name, table, tariff, mff, keyed))
        b, local_b = totals(costing.cost(name, table, tariff, mff, shared))
        assert (a, local_a) == (b, local_b), name
        priced_locally += local_a
    assert priced_locally > 0
