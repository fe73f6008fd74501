"""From the prescribing samples as published (PDPI October 2014, EPD September 2017), every
prescribing measure pbc declares (numerator, denominator and their costs, per practice) equals
a plain recomputation from the file with the csv module: the BNF-prefix filter of the measure
applied to the file's rows, the test item left out and, in PDPI, the row repeating its key left
out (pbc quarantines it; EPD's split rows are summed, as pbc sums them).

docs/data.md "Prescribing measures and OpenPrescribing" compares the definitions."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import ibis
import pytest
from tests.warehouse.real_samples import sample

from pbc.analytics.indicators import expressions as ex
from pbc.analytics.indicators.compute import ExpressionRef
from pbc.indicators import definitions as defs
from pbc.warehouse import store
from pbc.warehouse.ingest import import_file

PDPI = ("prescribing/pdpi_2014_10_sample.csv", dt.date(2014, 10, 1))
EPD = ("prescribing/epd_2017_09_sample.csv", dt.date(2017, 9, 1))


def file_rows(relative: str) -> list[tuple[str, str, float, float]]:
    """(practice, BNF code, items, actual cost) per practice, presentation and month, read
    plainly. Money is pbc's rule: the exact cost of a row rounded half-up to the penny (EPD
    publishes costs to 5 decimal places, and its pack-size rows of one key are added first)."""
    with open(sample(relative), newline="", encoding="utf-8-sig") as fh:
        records = [{k.strip(): (v or "").strip() for k, v in r.items() if k} for r in
                   csv.DictReader(fh)]  # fmt: skip
    keyed: dict[tuple[str, str, str], list[Decimal]] = {}
    for r in records:
        if "PRACTICE" in r:  # PDPI: the test item dropped, a repeated key quarantined
            if r["BNF NAME"].lower().startswith(("test item", "dummy")):
                continue
            key = (r["PRACTICE"], r["BNF CODE"], r["PERIOD"])
            if key not in keyed:
                keyed[key] = [Decimal(r["ITEMS"]), Decimal(r["ACT COST"])]
        else:  # EPD: every row, pack-size rows of one key summed
            key = (r["PRACTICE_CODE"], r["BNF_CODE"], r["YEAR_MONTH"])
            items, cost = keyed.setdefault(key, [Decimal(0), Decimal(0)])
            keyed[key] = [items + Decimal(r["ITEMS"]), cost + Decimal(r["ACTUAL_COST"])]
    penny = Decimal("0.01")
    return [
        (practice, bnf, float(items), float(cost.quantize(penny, rounding=ROUND_HALF_UP)))
        for (practice, bnf, _), (items, cost) in keyed.items()
    ]


def measure_parts() -> list[tuple[str, str, ExpressionRef]]:
    parts = []
    for d in defs.catalogue().values():
        refs = {
            "numerator": d.numerator.expression,
            "denominator": d.denominator.expression if d.denominator else None,
            "numerator_cost": d.numerator_cost,
            "denominator_cost": d.denominator_cost,
        }
        for role, ref in refs.items():
            if ref is not None and ref.name in ("prescribing.items", "prescribing.cost"):
                parts.append((d.id, role, ref))
    return parts


def recompute(rows: list[tuple[str, str, float, float]], ref: ExpressionRef) -> dict[str, float]:
    prefixes = tuple(ref.params["bnf_prefixes"])
    exclude = tuple(ref.params.get("exclude", ()))
    out: dict[str, float] = defaultdict(float)
    for practice, bnf, items, cost in rows:
        if bnf.startswith(prefixes) and not (exclude and bnf.startswith(exclude)):
            out[practice] += items if ref.name == "prescribing.items" else cost
    return dict(out)


@pytest.mark.parametrize("relative,month", [PDPI, EPD], ids=["pdpi", "epd"])
def test_every_prescribing_measure_equals_a_plain_recomputation(
    tmp_path: Path, relative: str, month: dt.date
) -> None:
    result = import_file("prescribing", sample(relative), data_dir=tmp_path)
    assert result.rows_loaded > 0
    folder = store.dataset_dir("prescribing", tmp_path)
    table = ibis.duckdb.connect().read_parquet(f"{folder}/**/*.parquet")
    ctx = ex.Context({"prescribing": table}, (month,))
    rows = file_rows(relative)
    parts = measure_parts()
    assert {p[0] for p in parts} >= {
        "prescribing-lansoprazole", "prescribing-high-cost-statins", "prescribing-arbs",
        "prescribing-trimethoprim", "antibiotics-cephalosporins-quinolones",
        "prescribing-ics-laba", "prescribing-antibiotics-per-astro-pu",
    }  # fmt: skip
    nonzero = 0
    for indicator, role, ref in parts:
        got_table = ex.evaluate(ref.name, ctx, ref.params).to_pyarrow().to_pylist()
        got = {r["unit"]: r["count"] for r in got_table if r["count"]}
        want = {k: v for k, v in recompute(rows, ref).items() if v}
        assert got.keys() == want.keys(), (indicator, role)
        for practice, value in want.items():
            assert math.isclose(got[practice], value, rel_tol=1e-9, abs_tol=1e-9), (
                indicator, role, practice,
            )  # fmt: skip
        nonzero += len(want)
    assert nonzero > 0  # the samples do hold rows these measures count

    # Each practice's items and cost over all presentations.
    every = ExpressionRef("prescribing.items", {"bnf_prefixes": [""]})
    got_items = {r["unit"]: r["count"] for r in ex.evaluate(every.name, ctx, every.params)
                 .to_pyarrow().to_pylist()}  # fmt: skip
    assert got_items == pytest.approx(recompute(rows, every))
    cost = ExpressionRef("prescribing.cost", {"bnf_prefixes": [""]})
    got_cost = {r["unit"]: r["count"] for r in ex.evaluate(cost.name, ctx, cost.params)
                .to_pyarrow().to_pylist()}  # fmt: skip
    assert got_cost == pytest.approx(recompute(rows, cost), rel=1e-9)
