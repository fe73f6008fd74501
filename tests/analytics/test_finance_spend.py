"""Spend summary and prescribing price/volume on hand-made rows, on every engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pbc.analytics.finance import contracts, prescribing, spend


def tariff_rows() -> pd.DataFrame:
    cols = ["financial_year", "point_of_delivery", "hrg_code", "treatment_function_code", "price",
            "trim_point_days", "excess_bed_day_rate", "short_stay_max_los_days",
            "short_stay_min_age"]  # fmt: skip
    rows = [
        ("2008/09", "EL", "HB12C", None, D("5600.00"), 13, D("230.00"), None, None),
        ("2008/09", "NEL", "DZ22A", None, D("2500.00"), 10, D("200.00"), None, None),
        ("2008/09", "NELST", "DZ22A", None, D("600.00"), None, None, 1, 19),
        ("2008/09", "OPFA", None, "110", D("160.00"), None, None, None, None),
        ("2008/09", "AE", "VB08Z", None, D("95.00"), None, None, None, None),
    ]
    df = pd.DataFrame(rows, columns=cols)
    for col in ("trim_point_days", "short_stay_max_los_days", "short_stay_min_age"):
        df[col] = df[col].astype("Int64")
    return df


def mff_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {"financial_year": ["2008/09"], "provider_code": ["RWG"],
         "market_forces_factor": [D("1.1082")]}
    )  # fmt: skip


def practice_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {"gp_practice_code": ["E82601"], "locality_code": ["dacorum"], "pct_code": ["5P3"]}
    )


def apc_rows() -> pd.DataFrame:
    def spell(sid: str, method: str, a: str, d: str, hrg: str, pod: str, price: str,
              pct: str = "5P3") -> dict[str, object]:  # fmt: skip
        ad, dd = dt.date.fromisoformat(a), dt.date.fromisoformat(d)
        return {
            "spell_id": sid, "nhs_number": "9990000018", "gp_practice_code": "E82601",
            "provider_code": "RWG", "admission_method": method, "admission_date": ad,
            "discharge_date": dd, "length_of_stay": (dd - ad).days, "age_on_admission": 70,
            "treatment_function_code": "110", "hrg_code": hrg, "commissioner_code": pct,
            "charged_point_of_delivery": pod, "charged_hrg_code": hrg, "charged_price": D(price),
        }  # fmt: skip

    return pd.DataFrame(
        [
            spell("el", "11", "2008-06-01", "2008-06-05", "HB12C", "EL", "7000.00"),
            spell("nelst", "21", "2008-07-01", "2008-07-02", "DZ22A", "NELST", "664.92"),
            spell("other-pct", "11", "2008-06-01", "2008-06-05", "HB12C", "EL", "6205.92", "5P2"),
            spell("last-year", "11", "2008-03-01", "2008-03-05", "HB12C", "EL", "6205.92"),
        ]
    )


def op_rows() -> pd.DataFrame:
    def att(aid: str, status: str, price: str) -> dict[str, object]:
        return {
            "attendance_id": aid, "nhs_number": "9990000018", "gp_practice_code": "E82601",
            "provider_code": "RWG", "attendance_date": dt.date(2008, 9, 1),
            "first_attendance": "1", "attended_or_did_not_attend": status,
            "procedure_flag": False, "hrg_code": None, "treatment_function_code": "110",
            "commissioner_code": "5P3", "charged_point_of_delivery": "OPFA",
            "charged_hrg_code": None, "charged_price": D(price),
        }  # fmt: skip

    return pd.DataFrame([att("seen", "5", "177.31"), att("dna", "3", "0.00")])


def ae_rows() -> pd.DataFrame:
    return pd.DataFrame(
        [{"attendance_id": "a1", "nhs_number": None, "gp_practice_code": "E82601",
          "provider_code": "RWG", "arrival_date": dt.date(2008, 12, 24), "hrg_code": "VB08Z",
          "commissioner_code": "5P3", "charged_point_of_delivery": "AE",
          "charged_hrg_code": "VB08Z", "charged_price": D("105.28")}]
    )  # fmt: skip


D = Decimal


def on(engine: ibis.BaseBackend, df: pd.DataFrame, folder: Path) -> ibis.Table:
    """A table on the engine through a Parquet file (memtables of nullable decimals do not reach
    PySpark intact)."""
    path = folder / f"t{len(list(folder.iterdir()))}.parquet"
    table = pa.Table.from_pandas(df, preserve_index=False)
    nulls = {f.name: pa.string() for f in table.schema if pa.types.is_null(f.type)}
    if nulls:  # an all-empty column: text, as in the warehouse
        table = table.cast(
            pa.schema([pa.field(f.name, nulls.get(f.name, f.type)) for f in table.schema])
        )
    pq.write_table(table, path)
    return engine.read_parquet(str(path))


def test_spend_summary_charges_what_was_invoiced_to_our_pct(
    engine: ibis.BaseBackend, tmp_path: Path
) -> None:
    summary = spend.activity_summary(
        {
            "apc": on(engine, apc_rows(), tmp_path),
            "op": on(engine, op_rows(), tmp_path),
            "ae": on(engine, ae_rows(), tmp_path),
        },
        on(engine, tariff_rows(), tmp_path),
        on(engine, mff_rows(), tmp_path),
        on(engine, practice_rows(), tmp_path),
        dt.date(2008, 4, 1),
        dt.date(2009, 3, 31),
    )
    out = engine.to_pyarrow(summary).to_pandas()
    by_line = out.groupby("budget_line").agg(
        charged=("charged", "sum"), at_tariff=("at_tariff", "sum"), activity=("activity", "sum")
    )
    # The EL spell charged 7000 against a tariff of 5600 x 1.1082; the spell billed to another
    # PCT (5P2) and the one outside the year are not charged.
    assert by_line.loc["elective", "charged"] == D("7000.00")
    assert by_line.loc["elective", "at_tariff"] == D("6205.92")
    assert by_line.loc["non_elective", "charged"] == D("664.92")
    assert by_line.loc["outpatients", "charged"] == D("177.31")
    assert by_line.loc["outpatients", "activity"] == 1  # the DNA is no activity
    assert by_line.loc["ae", "charged"] == D("105.28")
    assert set(out["month"].astype(str)) == {"2008-06-01", "2008-07-01", "2008-09-01", "2008-12-01"}
    assert set(out["locality_code"]) == {"dacorum"}


def test_price_volume_split_adds_up(engine: ibis.BaseBackend, tmp_path: Path) -> None:
    rows = pd.DataFrame(
        [
            # practice, month, bnf, quantity, cost
            ("E82601", dt.date(2007, 4, 1), "A", 100.0, D("100.00")),
            ("E82601", dt.date(2008, 4, 1), "A", 120.0, D("108.00")),  # +20% volume, cheaper
            ("E82601", dt.date(2007, 4, 1), "B", 10.0, D("50.00")),  # no longer prescribed
            ("E82601", dt.date(2008, 4, 1), "C", 5.0, D("30.00")),  # new this year
        ],
        columns=["gp_practice_code", "month", "bnf_code", "quantity", "actual_cost"],
    )
    expr = prescribing.price_volume(
        on(engine, rows, tmp_path),
        (dt.date(2008, 4, 1), dt.date(2008, 4, 1)),
        (dt.date(2007, 4, 1), dt.date(2007, 4, 1)),
    )
    out = engine.to_pyarrow(expr).to_pylist()[0]
    assert out["cost_now"] == D("138.00") and out["cost_base"] == D("150.00")
    assert out["at_base_prices"] == D("150.00")  # 120 at 1.00 + C at its own cost
    assert out["volume_effect"] == D("0.00")  # +20 on A, -50 for B, +30 for C
    assert out["price_effect"] == D("-12.00")  # A got cheaper: 0.90 a unit
    assert out["volume_effect"] + out["price_effect"] == out["cost_now"] - out["cost_base"]


def test_prescribing_months_actual_or_estimated() -> None:
    months = [dt.date(2008, m, 1) for m in range(4, 13)] + [dt.date(2009, 1, 1)]
    present = set(months[:-1])
    marks = prescribing.actual_months(months, dt.date(2009, 1, 1), 2, present)
    assert [m for m, actual in marks.items() if not actual] == [
        dt.date(2008, 12, 1), dt.date(2009, 1, 1),
    ]  # fmt: skip
    actuals = {
        dt.date(2008, 9, 1): D("90"),
        dt.date(2008, 10, 1): D("100"),
        dt.date(2008, 11, 1): D("110"),
    }
    assert prescribing.estimate(actuals, dt.date(2008, 12, 1)) == D("100.00")
    assert prescribing.estimate({}, dt.date(2008, 12, 1)) == D("0.00")


def test_prescribing_spend_keeps_actual_months_and_estimates_the_rest() -> None:
    """Report month January 2009, two months' lag: data to November counts; December (within
    the lag, though present) and January (absent) are estimated from the three actual months
    before each; last year's March (another year) is actual whatever the lag."""
    a = {
        dt.date(2008, 3, 1): (D("70"), 7),
        dt.date(2008, 9, 1): (D("90"), 9),
        dt.date(2008, 10, 1): (D("100"), 10),
        dt.date(2008, 11, 1): (D("110"), 11),
        dt.date(2008, 12, 1): (D("500"), 50),
    }
    months = [dt.date(2008, m, 1) for m in range(4, 13)] + [dt.date(2009, 1, 1)]
    got = prescribing.prescribing_spend({"A": a, "B": {}}, months, dt.date(2009, 1, 1), 2)
    actual = [(r.month, r.cost, r.items) for r in got if not r.estimated]
    assert actual == [(m, cost, items) for m, (cost, items) in sorted(a.items())][:4]
    estimated = {(r.practice, r.month): r.cost for r in got if r.estimated}
    assert estimated[("A", dt.date(2008, 12, 1))] == D("100.00")  # Sep-Nov
    assert estimated[("A", dt.date(2009, 1, 1))] == D("100.00")  # the same three
    assert estimated[("A", dt.date(2008, 4, 1))] == D("70.00")  # only March before it
    assert {m for p, m in estimated if p == "B"} == set(months)  # nothing arrived: all 0
    assert all(estimated[("B", m)] == D("0.00") for m in months)
    assert all(r.items is None for r in got if r.estimated)


def test_block_charges_to_the_practices_by_registered_patients() -> None:
    """A £1,200,000 block for 2008/09 charged through June: £100,000 a month, shared 3:1 by
    the April quarter's list sizes (the July list is not in force yet); a practice with no
    list size known gets nothing."""
    registered = {
        "P1": [(dt.date(2008, 4, 1), 3000), (dt.date(2008, 7, 1), 1000)],
        "P2": [(dt.date(2008, 4, 1), 1000)],
        "P3": [],  # no list size known: no share
    }
    got = contracts.block_charges_to(
        D("1200000.00"), dt.date(2008, 4, 1), dt.date(2008, 6, 1), registered
    )
    assert [(c.practice, c.month, c.amount) for c in got] == [
        (p, dt.date(2008, m, 1), amount)
        for m in (4, 5, 6)
        for p, amount in (("P1", D("75000.00")), ("P2", D("25000.00")), ("P3", D("0.00")))
    ]
    assert contracts.registered_on(registered["P1"], dt.date(2008, 8, 1)) == 1000
    assert contracts.registered_on(registered["P1"], dt.date(2008, 1, 1)) == 3000  # earliest
    assert contracts.registered_on([], dt.date(2008, 8, 1)) == 0
    whole_year = contracts.block_charges_to(
        D("1000.00"), dt.date(2008, 4, 1), dt.date(2010, 1, 1), {"P2": registered["P2"]}
    )
    assert len(whole_year) == 12 and sum(c.amount for c in whole_year) == D("1000.00")


def test_list_size_by_quarter(engine: ibis.BaseBackend, tmp_path: Path) -> None:
    rows = pd.DataFrame(
        {
            "gp_practice_code": ["P1", "P1", "P1", "P2"],
            "quarter_start": [dt.date(2008, 4, 1), dt.date(2008, 4, 1), dt.date(2008, 7, 1),
                              dt.date(2008, 4, 1)],
            "registered_patients": [1000, 2000, 2500, 800],
        }
    )  # fmt: skip
    expr = contracts.list_size_by_quarter(on(engine, rows, tmp_path))
    got = sorted(
        (r["gp_practice_code"], r["quarter_start"], int(r["registered"]))
        for r in engine.to_pyarrow(expr).to_pylist()
    )
    assert got == [
        ("P1", dt.date(2008, 4, 1), 3000),
        ("P1", dt.date(2008, 7, 1), 2500),
        ("P2", dt.date(2008, 4, 1), 800),
    ]
