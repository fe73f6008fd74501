"""Benchmark: the monthly finance refresh (costing at tariff and statements) over N activity rows.

    .venv/bin/python benchmarks/finance.py [--rows N] [--workdir DIR] [--keep]

The data is real generator output: `pbc.synth.generate` at test scale gives a few thousand
realistic `apc` spells (every tariff case: day cases, excess bed days, short stays, MFF), which
DuckDB tiles to N rows in one Parquet file (each copy its own spell_id).

The work timed, for report month January 2009 (month 10 of 2008/09), reading three financial
years (April 2006 to January 2009, as `pbc.finance.refresh` does):

1. cost every spell at tariff (point of delivery with the short-stay rule, trim point and excess
   bed days, MFF, half-up to the penny) and sum charged £, £ at tariff and activity by practice x
   provider x budget line x point of delivery x treatment function x month, for rows the
   practice's own PCT was invoiced for;
2. build every practice's statement (the same Python for all three: monthly series per line,
   forecasts by three methods with their backtests).

Three versions, all in this run, on the same file and machine:

- ours: `pbc.analytics.finance.spend.activity_summary` (Ibis on DuckDB) + the statements;
- baseline: hand-written DuckDB SQL doing the same costing and aggregation + the statements.
  Target: ratio = ours / baseline <= 1.3;
- pandas: a straightforward pandas version (merges, money in integer pennies) + the statements.

The last line printed is one JSON object: name, rows, ours_s, baseline, baseline_s, ratio, plus
pandas_s, pandas_ratio and a check that the three agree on the total charged and at tariff.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.backends.duckdb  # noqa: F401  (imported before timing, as duckdb and pandas are)
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pbc.analytics.finance import spend
from pbc.analytics.finance import statement as st
from pbc.analytics.finance.lines import LINES
from pbc.analytics.finance.money import ZERO
from pbc.periods import add_years, financial_year_of, month_number
from pbc.synth import demo_scale, generate

START, END = dt.date(2006, 4, 1), dt.date(2009, 1, 31)
REPORT_MONTH = dt.date(2009, 1, 1)


def make_data(rows: int, work: Path) -> dict[str, Path]:
    """apc tiled to `rows` rows, and the reference tables, as Parquet files in `work`."""
    data = generate(demo_scale("test"))
    paths = {}
    for name in ("tariff", "market_forces_factors", "practices"):
        paths[name] = work / f"{name}.parquet"
        pq.write_table(data[name], paths[name])
    sample = data["apc"]
    con = duckdb.connect()
    con.register("sample", sample)
    copies = -(-rows // sample.num_rows)
    paths["apc"] = work / "apc.parquet"
    con.execute(
        f"""
        COPY (
            SELECT sample.* REPLACE (spell_id || '-' || lpad(k::VARCHAR, 5, '0') AS spell_id)
            FROM range({copies}) AS r(k), sample
            LIMIT {rows}
        ) TO '{paths["apc"]}' (FORMAT parquet)
        """
    )
    con.close()
    return paths


# --- the statement step, shared by all three -----------------------------------------------------


def statements(summary: list[dict[str, Any]]) -> tuple[int, Decimal, Decimal]:
    """Every practice's statement from the summary rows; (statements, charged, at tariff)."""
    fy = financial_year_of(REPORT_MONTH)
    ly, yb = add_years(fy, -1), add_years(fy, -2)
    series: dict[tuple[str, str, str], list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    charged = at_tariff = ZERO
    for r in summary:
        month = r["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        series[(r["gp_practice_code"], financial_year_of(month), r["budget_line"])][
            month_number(month) - 1
        ] += Decimal(r["charged"])
        charged += Decimal(r["charged"])
        at_tariff += Decimal(r["at_tariff"])
    practices = sorted({k[0] for k in series})
    m = month_number(REPORT_MONTH)
    for code in practices:
        inputs = []
        for line in LINES:
            last = series.get((code, ly, line.value))
            inputs.append(
                st.LineInput(
                    line=line.value,
                    budget_months=[v * Decimal("1.03") for v in (last or [ZERO] * 12)],
                    recurrent_budget=ZERO,
                    actual=list(series.get((code, fy, line.value), [ZERO] * 12)),
                    last_year=last,
                    year_before=series.get((code, yb, line.value)),
                )
            )
        st.build(inputs, m)
    return len(practices), charged, at_tariff


# --- ours --------------------------------------------------------------------------------------


def ours(paths: dict[str, Path]) -> tuple[float, tuple[int, Decimal, Decimal]]:
    started = time.perf_counter()
    con = ibis.duckdb.connect()
    t = {name: con.read_parquet(str(p)) for name, p in paths.items()}
    expr = spend.activity_summary(
        {"apc": t["apc"]}, t["tariff"], t["market_forces_factors"], t["practices"], START, END
    )
    rows = con.to_pyarrow(expr).to_pylist()
    result = statements(rows)
    return time.perf_counter() - started, result


# --- baseline: hand-written DuckDB SQL ---------------------------------------------------------

BASELINE_SQL = """
WITH spells AS (
    SELECT a.*,
           CASE WHEN month(discharge_date) >= 4 THEN year(discharge_date)
                ELSE year(discharge_date) - 1 END AS fy_start
    FROM read_parquet('{apc}') a
    WHERE discharge_date BETWEEN DATE '{start}' AND DATE '{end}'
),
tariff AS (
    SELECT *, CAST(financial_year[1:4] AS INTEGER) AS fy_start FROM read_parquet('{tariff}')
),
mff AS (
    SELECT *, CAST(financial_year[1:4] AS INTEGER) AS fy_start
    FROM read_parquet('{mff}')
),
pod AS (
    SELECT s.*,
      CASE
        WHEN s.admission_method IN ('11', '12', '13') AND s.length_of_stay = 0 THEN 'DC'
        WHEN s.admission_method IN ('11', '12', '13') THEN 'EL'
        WHEN s.admission_method IN ('21','22','23','24','28','2A','2B','2C','2D')
             AND ss.short_stay_max_los_days IS NOT NULL
             AND s.length_of_stay <= ss.short_stay_max_los_days
             AND s.age_on_admission >= ss.short_stay_min_age THEN 'NELST'
        ELSE 'NEL'
      END AS expected_pod
    FROM spells s
    LEFT JOIN tariff ss
      ON ss.point_of_delivery = 'NELST' AND ss.fy_start = s.fy_start AND ss.hrg_code = s.hrg_code
),
priced AS (
    SELECT p.gp_practice_code, p.provider_code, p.charged_point_of_delivery,
           p.treatment_function_code, date_trunc('month', p.discharge_date) AS month,
           p.charged_price,
           ROUND(
             (t.price + CASE WHEN p.expected_pod IN ('EL', 'NEL')
                             THEN greatest(p.length_of_stay - t.trim_point_days, 0) ELSE 0 END
                        * coalesce(t.excess_bed_day_rate, 0))::DECIMAL(24, 6)
             * m.market_forces_factor::DECIMAL(24, 6), 2)::DECIMAL(14, 2) AS expected_price
    FROM pod p
    LEFT JOIN tariff t
      ON t.fy_start = p.fy_start AND t.point_of_delivery = p.expected_pod
     AND t.hrg_code = p.hrg_code
    LEFT JOIN mff m ON m.fy_start = p.fy_start AND m.provider_code = p.provider_code
)
SELECT pr.gp_practice_code, pr.provider_code,
       CASE WHEN charged_point_of_delivery IN ('EL', 'DC') THEN 'elective'
            ELSE 'non_elective' END AS budget_line,
       charged_point_of_delivery AS point_of_delivery, treatment_function_code, month,
       count(*) AS activity, sum(charged_price) AS charged,
       sum(coalesce(expected_price, 0)) AS at_tariff
FROM priced pr
JOIN read_parquet('{practices}') pc
  ON pc.gp_practice_code = pr.gp_practice_code
GROUP BY ALL
"""


def baseline(paths: dict[str, Path]) -> tuple[float, tuple[int, Decimal, Decimal]]:
    started = time.perf_counter()
    con = duckdb.connect()
    sql = BASELINE_SQL.format(
        apc=paths["apc"], tariff=paths["tariff"], mff=paths["market_forces_factors"],
        practices=paths["practices"], start=START, end=END,
    )  # fmt: skip
    # The commissioner check (row billed to the practice's own PCT) as in ours.
    sql = sql.replace(
        "ON pc.gp_practice_code = pr.gp_practice_code",
        "ON pc.gp_practice_code = pr.gp_practice_code AND pc.pct_code = pr.commissioner_code",
    ).replace("SELECT p.gp_practice_code,", "SELECT p.commissioner_code, p.gp_practice_code,")
    rows = con.sql(sql).to_arrow_table().to_pylist()
    result = statements(rows)
    return time.perf_counter() - started, result


# --- pandas ------------------------------------------------------------------------------------


def with_pandas(paths: dict[str, Path]) -> tuple[float, tuple[int, Decimal, Decimal]]:
    started = time.perf_counter()
    apc = pd.read_parquet(paths["apc"])
    tariff = pd.read_parquet(paths["tariff"])
    mff = pd.read_parquet(paths["market_forces_factors"])
    practices = pd.read_parquet(paths["practices"])
    discharge = pd.to_datetime(apc["discharge_date"])
    apc = apc[(discharge >= pd.Timestamp(START)) & (discharge <= pd.Timestamp(END))].copy()
    discharge = pd.to_datetime(apc["discharge_date"])
    start_year = np.where(discharge.dt.month >= 4, discharge.dt.year, discharge.dt.year - 1)
    apc["financial_year"] = [f"{y}/{(y + 1) % 100:02d}" for y in start_year]
    # Money as integer pennies; MFF as 1/10,000 units: exact.
    tariff["price_p"] = (tariff["price"].astype(float) * 100).round().astype("Int64")
    tariff["rate_p"] = (tariff["excess_bed_day_rate"].astype(float) * 100).round().astype("Int64")
    mff["mff_u"] = (mff["market_forces_factor"].astype(float) * 10000).round().astype("int64")
    short = tariff[tariff["point_of_delivery"] == "NELST"][
        ["financial_year", "hrg_code", "short_stay_max_los_days", "short_stay_min_age"]
    ]
    apc = apc.merge(short, on=["financial_year", "hrg_code"], how="left")
    elective = apc["admission_method"].isin(["11", "12", "13"])
    emergency = apc["admission_method"].isin(["21", "22", "23", "24", "28", "2A", "2B", "2C", "2D"])
    is_short = (
        emergency
        & apc["short_stay_max_los_days"].notna()
        & (apc["length_of_stay"] <= apc["short_stay_max_los_days"].fillna(-1))
        & (apc["age_on_admission"].fillna(-1) >= apc["short_stay_min_age"].fillna(10**6))
    )
    apc["expected_pod"] = np.select(
        [elective & (apc["length_of_stay"] == 0), elective, is_short],
        ["DC", "EL", "NELST"],
        default="NEL",
    )
    prices = tariff[["financial_year", "point_of_delivery", "hrg_code", "price_p", "rate_p",
                     "trim_point_days"]].rename(columns={"point_of_delivery": "expected_pod"})  # fmt: skip
    apc = apc.merge(prices, on=["financial_year", "expected_pod", "hrg_code"], how="left")
    apc = apc.merge(mff[["financial_year", "provider_code", "mff_u"]], how="left",
                    on=["financial_year", "provider_code"])  # fmt: skip
    over = (apc["length_of_stay"] - apc["trim_point_days"]).clip(lower=0).fillna(0)
    ebd = np.where(apc["expected_pod"].isin(["EL", "NEL"]), over, 0).astype("int64")
    base = apc["price_p"].fillna(0).astype("int64") + ebd * apc["rate_p"].fillna(0).astype("int64")
    apc["expected_p"] = (base * apc["mff_u"].fillna(0).astype("int64") + 5000) // 10000
    apc["charged_p"] = (apc["charged_price"].astype(float) * 100).round().astype("int64")
    apc = apc.merge(
        practices[["gp_practice_code", "pct_code"]].rename(
            columns={"pct_code": "commissioner_code"}
        ),
        on=["gp_practice_code", "commissioner_code"],
    )
    apc["budget_line"] = np.where(
        apc["charged_point_of_delivery"].isin(["EL", "DC"]), "elective", "non_elective"
    )
    apc["month"] = pd.to_datetime(apc["discharge_date"]).dt.to_period("M").dt.to_timestamp()
    grouped = (
        apc.groupby(
            [
                "gp_practice_code",
                "provider_code",
                "budget_line",
                "charged_point_of_delivery",
                "treatment_function_code",
                "month",
            ]
        )  # fmt: skip
        .agg(
            activity=("spell_id", "size"),
            charged_p=("charged_p", "sum"),
            expected_p=("expected_p", "sum"),
        )  # fmt: skip
        .reset_index()
    )
    rows = [
        {
            "gp_practice_code": r.gp_practice_code,
            "budget_line": r.budget_line,
            "month": r.month.date(),
            "charged": Decimal(int(r.charged_p)) / 100,
            "at_tariff": Decimal(int(r.expected_p)) / 100,
        }
        for r in grouped.itertuples(index=False)
    ]
    result = statements(rows)
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="pbc-finance-bench-", dir=args.workdir))
    try:
        t0 = time.perf_counter()
        paths = make_data(args.rows, work)
        size = paths["apc"].stat().st_size
        print(f"data: {args.rows:,} apc rows, {size / 1e6:,.0f} MB, "
              f"{time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
        ours_s, ours_r = ours(paths)
        print(f"ours (Ibis):     {ours_s:7.2f} s  {ours_r[0]} statements", flush=True)
        base_s, base_r = baseline(paths)
        print(f"baseline (SQL):  {base_s:7.2f} s", flush=True)
        pandas_s, pandas_r = with_pandas(paths)
        print(f"pandas:          {pandas_s:7.2f} s", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    agree = ours_r == base_r == pandas_r
    record: dict[str, object] = {
        "name": "finance",
        "rows": args.rows,
        "ours_s": round(ours_s, 3),
        "baseline": "hand-written DuckDB SQL costing and aggregation, same statements step",
        "baseline_s": round(base_s, 3),
        "ratio": round(ours_s / base_s, 3),
        "pandas_baseline": "straightforward pandas (merges, integer pennies), same statements",
        "pandas_s": round(pandas_s, 3),
        "pandas_ratio": round(ours_s / pandas_s, 3),
        "statements": ours_r[0],
        "charged": str(ours_r[1]),
        "at_tariff": str(ours_r[2]),
        "results_agree": agree,
        "apc_parquet_bytes": size,
    }
    print(json.dumps(record), flush=True)
    return record


if __name__ == "__main__":
    main()
