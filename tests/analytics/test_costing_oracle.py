"""Costing on the test-scale demo data equals a plain-Python reference, to the penny.

The oracle below reads the rules from docs/data.md ("Deriving the point of delivery", "Tariff",
"Local prices") and applies them row by row with `Decimal`, with dictionaries for the tariff,
the local price list and market forces factors: no Ibis, no SQL, nothing shared with
`pbc.analytics.costing`. It runs on every engine, over apc, op, ae and unbundled imaging, with
the local price list given (non-tariff rows priced at the local price).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pbc.analytics import costing
from pbc.synth import demo_scale, generate

ELECTIVE = {"11", "12", "13"}
EMERGENCY = {"21", "22", "23", "24", "28", "2A", "2B", "2C", "2D"}
DATE = {"apc": "discharge_date", "op": "attendance_date", "ae": "arrival_date",
        "imaging": "imaging_date"}  # fmt: skip
KEY = {"apc": "spell_id", "op": "attendance_id", "ae": "attendance_id", "imaging": "imaging_id"}


def fy(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{str(start + 1)[2:]}"


class Oracle:
    def __init__(
        self,
        tariff: list[dict[str, Any]],
        mff: list[dict[str, Any]],
        local: list[dict[str, Any]] = (),  # type: ignore[assignment]
    ) -> None:
        self.rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for r in tariff:
            key = r["hrg_code"] if r["hrg_code"] is not None else r["treatment_function_code"]
            self.rows[(r["financial_year"], r["point_of_delivery"], key)] = r
        # Local prices: flat per case, only where the national tariff has no row.
        for r in local:
            key = r["hrg_code"] if r["hrg_code"] is not None else r["treatment_function_code"]
            flat = {"price": r["price"], "trim_point_days": None, "excess_bed_day_rate": None}
            self.rows.setdefault((r["financial_year"], r["point_of_delivery"], key), flat)
        self.mff = {
            (r["financial_year"], r["provider_code"]): r["market_forces_factor"] for r in mff
        }

    def pod(self, dataset: str, row: dict[str, Any]) -> str:
        if dataset == "imaging":
            return "IMG"
        if dataset == "ae":
            return "AE"
        if dataset == "op":
            if row["procedure_flag"]:
                return "OPPROC"
            return "OPFA" if row["first_attendance"] in ("1", "3") else "OPFUP"
        method, los = row["admission_method"], row["length_of_stay"]
        if method in ELECTIVE:
            return "DC" if los == 0 else "EL"
        if method in EMERGENCY:
            short = self.rows.get((fy(row["discharge_date"]), "NELST", row["hrg_code"]))
            age = row["age_on_admission"]
            if (
                short is not None
                and los <= short["short_stay_max_los_days"]
                and age is not None
                and age >= short["short_stay_min_age"]
            ):
                return "NELST"
        return "NEL"

    def price(self, dataset: str, row: dict[str, Any]) -> Decimal | None:
        year = fy(row[DATE[dataset]])
        pod = self.pod(dataset, row)
        if dataset == "op" and row["attended_or_did_not_attend"] not in ("5", "6"):
            return Decimal("0.00")
        key = row["treatment_function_code"] if pod in ("OPFA", "OPFUP") else row["hrg_code"]
        tariff = self.rows.get((year, pod, key))
        mff = self.mff.get((year, row["provider_code"]))
        if tariff is None or mff is None:
            return None
        excess = 0
        if pod in ("EL", "NEL") and tariff["trim_point_days"] is not None:
            excess = max(0, row["length_of_stay"] - tariff["trim_point_days"])
        rate = tariff["excess_bed_day_rate"] or Decimal(0)
        raw = (tariff["price"] + excess * rate) * mff
        return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def demo() -> dict[str, pa.Table]:
    return generate(demo_scale("test"))


def on_engine(engine: ibis.BaseBackend, table: pa.Table, folder: Path, name: str) -> ibis.Table:
    """The table on the engine, through a Parquet file (memtables of nullable decimals do not
    reach PySpark intact)."""
    path = folder / f"{name}.parquet"
    pq.write_table(table, path)
    return engine.read_parquet(str(path))


@pytest.mark.parametrize("dataset", ["apc", "op", "ae", "imaging"])
def test_costing_equals_plain_python_to_the_penny(
    engine: ibis.BaseBackend, demo: dict[str, pa.Table], dataset: str, tmp_path: Path
) -> None:
    oracle = Oracle(
        demo["tariff"].to_pylist(),
        demo["market_forces_factors"].to_pylist(),
        demo["local_prices"].to_pylist(),
    )
    expr = costing.cost(
        dataset,
        on_engine(engine, demo[dataset], tmp_path, dataset),
        on_engine(engine, demo["tariff"], tmp_path, "tariff"),
        on_engine(engine, demo["market_forces_factors"], tmp_path, "mff"),
        on_engine(engine, demo["local_prices"], tmp_path, "local_prices"),
    )
    got = engine.to_pyarrow(expr.select(KEY[dataset], "expected_price")).to_pylist()
    ours = {r[KEY[dataset]]: r["expected_price"] for r in got}
    rows = demo[dataset].to_pylist()
    assert len(ours) == len(rows) > 1000
    assert all(v is not None for v in ours.values())  # every demo row is priced
    mismatches = []
    for row in rows:
        want = oracle.price(dataset, row)
        have = ours[row[KEY[dataset]]]
        if want != have:
            mismatches.append((row[KEY[dataset]], want, have))
    assert not mismatches, mismatches[:10]
    total = sum((v for v in ours.values() if v is not None), Decimal(0))
    assert total == sum(
        (p for r in rows if (p := oracle.price(dataset, r)) is not None), Decimal(0)
    )


def test_non_tariff_outpatients_equal_the_oracle_at_the_local_price(
    engine: ibis.BaseBackend, demo: dict[str, pa.Table], tmp_path: Path
) -> None:
    """The demo's outpatient attendances moved to non-tariff services (physiotherapy, podiatry,
    clinical psychology: on the local price list only) and to a specialty on neither list: the
    costing equals the oracle, every year and provider, and only the last are unpriced."""
    rows = demo["op"].to_pylist()[::5]
    services = ["650", "653", "656", "999"]
    for i, row in enumerate(rows):
        row["treatment_function_code"] = services[i % len(services)]
        row["procedure_flag"], row["hrg_code"] = False, None
    table = pa.Table.from_pylist(rows, schema=demo["op"].schema)
    oracle = Oracle(
        demo["tariff"].to_pylist(),
        demo["market_forces_factors"].to_pylist(),
        demo["local_prices"].to_pylist(),
    )
    expr = costing.cost(
        "op",
        on_engine(engine, table, tmp_path, "op"),
        on_engine(engine, demo["tariff"], tmp_path, "tariff"),
        on_engine(engine, demo["market_forces_factors"], tmp_path, "mff"),
        on_engine(engine, demo["local_prices"], tmp_path, "local_prices"),
    )
    got = engine.to_pyarrow(expr.select("attendance_id", "expected_price", "price_source"))
    ours = {r["attendance_id"]: r for r in got.to_pylist()}
    for row in rows:
        mine = ours[row["attendance_id"]]
        assert mine["expected_price"] == oracle.price("op", row), row["attendance_id"]
        attended = row["attended_or_did_not_attend"] in ("5", "6")
        if row["treatment_function_code"] == "999":
            assert mine["expected_price"] is None or not attended
        else:
            assert mine["price_source"] == "local"
    assert {r["price_source"] for r in ours.values()} == {"local", None}
    assert len({fy(r["attendance_date"]) for r in rows}) > 1
    assert len({r["provider_code"] for r in rows}) > 1
