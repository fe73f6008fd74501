"""Benchmark: every validation rule over N activity rows (default 10 million), ours (Ibis, the
`pbc.analytics.validation` expressions compiled for DuckDB) against hand-written DuckDB SQL for
the same rules, in the same run and on the same in-memory tables.

Data: the test-scale synthetic data (a smaller population below ~27,000 rows), copied as many
times as needed to reach N rows. Each copy gets its own row keys and its own patients (NHS
numbers moved to another prefix, check digit recomputed, the same change in the patient
register), so duplicates and readmissions stay within a copy, as in real data. About 1 in 11
moved numbers has no possible check digit and becomes invalid (so copies carry more invalid
NHS numbers than the original).

Ours runs as `pbc validate` and the refresh do (`cached_inputs`: each table, each activity
row's NHS number check and the costed spells held by the engine once per run, timed with the
rules); the baseline materialises its NHS number checks in CTEs. Both sides write their
findings into a table (CREATE TABLE AS); the counts per rule are compared, and the last line
printed is one JSON object: {"name", "rows", "ours_s", "baseline", "baseline_s", "ratio",
"ours_cpu_s", "baseline_cpu_s", "cpu_ratio" (processor seconds of every thread: on a shared
machine they vary less than the wall clock), ...}.

    .venv/bin/python benchmarks/validation.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from dataclasses import replace

import ibis

from pbc import synth
from pbc.analytics import validation as v

ACTIVITY = ("apc", "op", "ae")
ROWS_PER_PERSON = 6.5  # activity rows per test-scale patient over the four years


def nhs_sql(col: str) -> str:
    """Hand-written modulus 11 check (DuckDB SQL)."""
    s = f"regexp_replace(coalesce({col}, ''), '[\\s-]', '', 'g')"
    digits = [f"(ascii(substr({s}, {i}, 1)) - 48)" for i in range(1, 11)]
    total = " + ".join(f"{d} * {11 - i}" for i, d in enumerate(digits[:9], start=1))
    check = f"(CASE WHEN 11 - ({total}) % 11 = 11 THEN 0 ELSE 11 - ({total}) % 11 END)"
    return (
        f"(regexp_full_match({s}, '[0-9]{{10}}') AND {check} <> 10 AND {check} = {digits[9]} "
        f"AND {s} <> repeat(substr({s}, 1, 1), 10))"
    )


def fy(col: str) -> str:
    y = f"(CASE WHEN month({col}) >= 4 THEN year({col}) ELSE year({col}) - 1 END)"
    return f"printf('%d/%02d', {y}, ({y} + 1) % 100)"


BASELINE = f"""
CREATE OR REPLACE TEMP TABLE base_findings AS
WITH
apc AS MATERIALIZED (SELECT *, {nhs_sql("nhs_number")} AS nhs_ok FROM apc),
op AS MATERIALIZED (SELECT *, {nhs_sql("nhs_number")} AS nhs_ok FROM op),
ae AS MATERIALIZED (SELECT *, {nhs_sql("nhs_number")} AS nhs_ok FROM ae),
apc_v AS (SELECT * FROM apc WHERE nhs_ok),
op_v AS (SELECT * FROM op WHERE nhs_ok),
reg AS (
  SELECT p.nhs_number, p.registration_start_date AS s, p.registration_end_date AS e, pr.pct_code
  FROM patients p JOIN practices pr USING (gp_practice_code)
),
dup_spell AS (
  SELECT spell_id, charged_price, admission_date,
    lag(admission_date) OVER w AS prev_adm,
    max(discharge_date) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max
  FROM apc_v
  WINDOW w AS (PARTITION BY nhs_number ORDER BY admission_date, discharge_date, spell_id)
),
dup_first AS (
  SELECT attendance_id, charged_price, row_number() OVER (
    PARTITION BY nhs_number, provider_code, treatment_function_code, attendance_date
    ORDER BY attendance_id) AS n
  FROM op_v WHERE first_attendance IN ('1', '3') AND attended_or_did_not_attend IN ('5', '6')
),
firsts AS (
  SELECT nhs_number, treatment_function_code, min(attendance_date) AS first_date
  FROM op_v WHERE first_attendance IN ('1', '3') AND attended_or_did_not_attend IN ('5', '6')
  GROUP BY ALL
),
apc_fy AS (SELECT *, {fy("discharge_date")} AS fy FROM apc),
mff AS (SELECT financial_year, provider_code, market_forces_factor AS m FROM market_forces_factors),
cand AS (
  SELECT * FROM apc_v
  WHERE admission_method IN ('21','22','23','24','28','2A','2B','2C','2D')
    AND NOT regexp_matches(coalesce(primary_diagnosis_code, ''), '^(C|D[0-3]|D4[0-8])')
    AND coalesce(age_on_admission, 99) >= 4
),
prev AS (
  SELECT c.spell_id, c.charged_price, c.admission_date, c.discharge_date AS c_dis,
    p.discharge_date AS p_dis, p.discharge_method AS p_method, p.admission_method AS p_adm_method,
    row_number() OVER (PARTITION BY c.spell_id
      ORDER BY p.discharge_date DESC, p.admission_date DESC, p.spell_id DESC) AS n
  FROM cand c JOIN apc_v p ON p.nhs_number = c.nhs_number
    AND p.discharge_date <= c.admission_date AND p.spell_id <> c.spell_id
    AND (p.admission_date < c.admission_date OR p.spell_id < c.spell_id)
),
op_cells AS (
  SELECT *, {fy("attendance_date")} AS fy,
    sum(CASE WHEN first_attendance IN ('1','3') THEN 1 ELSE 0 END) OVER (
      PARTITION BY provider_code, treatment_function_code, {fy("attendance_date")}) AS n_first
  FROM op WHERE attended_or_did_not_attend IN ('5', '6')
),
over_cap AS (
  SELECT o.attendance_id, o.charged_price,
    row_number() OVER w - 1 AS r, count(*) OVER (PARTITION BY o.provider_code,
      o.treatment_function_code, o.fy) AS f,
    floor(c.follow_up_ratio_cap * o.n_first + 1e-9) AS allowed
  FROM op_cells o JOIN follow_up_caps c
    ON c.financial_year = o.fy AND c.treatment_function_code = o.treatment_function_code
    AND c.commissioner_code = o.commissioner_code
  WHERE o.first_attendance NOT IN ('1', '3')
  WINDOW w AS (PARTITION BY o.provider_code, o.treatment_function_code, o.fy
    ORDER BY o.attendance_date DESC, o.attendance_id DESC)
)
SELECT 'duplicate_spell' AS rule_id, 'apc' AS dataset, spell_id AS row_id,
  charged_price AS amount
FROM dup_spell
WHERE prev_adm IS NOT NULL AND (admission_date = prev_adm OR prev_max > admission_date)
UNION ALL
SELECT 'duplicate_first_attendance', 'op', attendance_id, charged_price FROM dup_first WHERE n > 1
UNION ALL
SELECT 'not_registered_in_pct', 'apc', spell_id, charged_price FROM apc_v x WHERE NOT EXISTS (
  SELECT 1 FROM reg r WHERE r.nhs_number = x.nhs_number AND r.pct_code = x.commissioner_code
  AND r.s <= x.admission_date AND (r.e IS NULL OR x.admission_date <= r.e))
UNION ALL
SELECT 'not_registered_in_pct', 'op', attendance_id, charged_price FROM op_v x WHERE NOT EXISTS (
  SELECT 1 FROM reg r WHERE r.nhs_number = x.nhs_number AND r.pct_code = x.commissioner_code
  AND r.s <= x.attendance_date AND (r.e IS NULL OR x.attendance_date <= r.e))
UNION ALL
SELECT 'not_registered_in_pct', 'ae', attendance_id, charged_price FROM ae x WHERE x.nhs_ok
  AND NOT EXISTS (
  SELECT 1 FROM reg r WHERE r.nhs_number = x.nhs_number AND r.pct_code = x.commissioner_code
  AND r.s <= x.arrival_date AND (r.e IS NULL OR x.arrival_date <= r.e))
UNION ALL
SELECT 'invalid_nhs_number', 'apc', spell_id, charged_price FROM apc WHERE NOT nhs_ok
UNION ALL
SELECT 'invalid_nhs_number', 'op', attendance_id, charged_price FROM op WHERE NOT nhs_ok
UNION ALL
SELECT 'invalid_nhs_number', 'ae', attendance_id, charged_price FROM ae WHERE NOT nhs_ok
UNION ALL
SELECT 'follow_up_without_first', 'op', o.attendance_id, o.charged_price
FROM op_v o LEFT JOIN firsts f USING (nhs_number, treatment_function_code)
WHERE o.first_attendance IN ('2', '4') AND o.attended_or_did_not_attend IN ('5', '6')
  AND (f.first_date IS NULL OR f.first_date > o.attendance_date)
UNION ALL
SELECT 'op_procedure_as_day_case', 'apc', a.spell_id,
  greatest(a.charged_price - round(t.price * coalesce(m.m, 0), 2), 0)
FROM apc_fy a JOIN tariff t ON t.point_of_delivery = 'OPPROC' AND t.financial_year = a.fy
  AND t.hrg_code = a.charged_hrg_code
LEFT JOIN mff m ON m.financial_year = a.fy AND m.provider_code = a.provider_code
WHERE a.charged_point_of_delivery IN ('DC', 'EL')
UNION ALL
SELECT 'zero_day_elective_as_inpatient', 'apc', a.spell_id,
  greatest(a.charged_price - round(t.price * m.m, 2), 0)
FROM apc_fy a LEFT JOIN tariff t ON t.point_of_delivery = 'DC' AND t.financial_year = a.fy
  AND t.hrg_code = a.hrg_code
LEFT JOIN mff m ON m.financial_year = a.fy AND m.provider_code = a.provider_code
WHERE a.admission_method IN ('11', '12', '13') AND a.length_of_stay = 0
  AND a.charged_point_of_delivery = 'EL'
UNION ALL
SELECT 'unsupported_excess_bed_days', 'apc', a.spell_id,
  greatest(a.charged_price - round((t.price + greatest(0, a.length_of_stay
    - coalesce(t.trim_point_days, a.length_of_stay)) * coalesce(t.excess_bed_day_rate, 0))
    * m.m, 2), 0)
FROM apc_fy a LEFT JOIN tariff t ON t.financial_year = a.fy
  AND t.point_of_delivery = a.point_of_delivery AND t.hrg_code = a.hrg_code
LEFT JOIN mff m ON m.financial_year = a.fy AND m.provider_code = a.provider_code
WHERE a.charged_excess_bed_days > CASE WHEN t.trim_point_days IS NULL THEN 0
  ELSE greatest(0, a.length_of_stay - t.trim_point_days) END
UNION ALL
SELECT 'short_stay_not_applied', 'apc', a.spell_id,
  greatest(a.charged_price - round(t.price * m.m, 2), 0)
FROM apc_fy a LEFT JOIN tariff t ON t.point_of_delivery = 'NELST' AND t.financial_year = a.fy
  AND t.hrg_code = a.hrg_code
LEFT JOIN mff m ON m.financial_year = a.fy AND m.provider_code = a.provider_code
WHERE a.point_of_delivery = 'NELST' AND a.charged_point_of_delivery <> 'NELST'
UNION ALL
SELECT 'c2c_without_gp_approval', 'op', attendance_id, charged_price FROM op
WHERE first_attendance IN ('1', '3') AND referral_source = '05' AND priority_type = '1'
  AND NOT coalesce(gp_approval, false)
UNION ALL
SELECT 'emergency_readmission_30d', 'apc', spell_id,
  CASE WHEN c_dis >= DATE '2011-04-01' THEN charged_price ELSE 0 END
FROM prev WHERE n = 1 AND p_method <> '4' AND p_adm_method NOT IN ('31', '32')
  AND admission_date <= p_dis + INTERVAL 30 DAY
UNION ALL
SELECT 'over_cap_follow_up_ratio', 'op', attendance_id, charged_price FROM over_cap
WHERE r < f - allowed
UNION ALL
SELECT 'high_cost_activity', 'apc', spell_id, charged_price FROM apc WHERE charged_price > 3000
UNION ALL
SELECT 'high_cost_activity', 'op', attendance_id, charged_price FROM op WHERE charged_price > 3000
UNION ALL
SELECT 'high_cost_activity', 'ae', attendance_id, charged_price FROM ae WHERE charged_price > 3000
"""


def load(con: ibis.BaseBackend, rows: int) -> int:
    """Build the input tables in DuckDB; returns the number of activity rows."""
    base_config = synth.demo_scale("test")
    population = max(100, min(4000, math.ceil(rows / ROWS_PER_PERSON)))
    config = replace(base_config, population=population)
    data = synth.generate(config)
    base_rows = sum(data[name].num_rows for name in ACTIVITY)
    copies = max(1, math.ceil(rows / base_rows))
    raw = con.con  # type: ignore[attr-defined]
    for name in v.INPUT_DATASETS:
        raw.register(f"src_{name}", data[name])
    raw.execute(
        f"CREATE OR REPLACE TEMP TABLE copies AS SELECT range AS c FROM range({copies})"
    ).fetchall()
    # copy c moves valid NHS numbers to prefix 100 + c (check digit recomputed); copy 0 keeps them
    first9 = (
        "CASE WHEN c = 0 THEN substr(n, 1, 9) ELSE printf('%03d', 100 + c) || substr(n, 4, 6) END"
    )
    total = " + ".join(f"(ascii(substr(f9, {i}, 1)) - 48) * {11 - i}" for i in range(1, 10))
    raw.execute(
        f"""
        CREATE OR REPLACE MACRO move_nhs(n, c) AS (
          CASE WHEN n IS NULL OR NOT regexp_full_match(n, '[0-9]{{10}}') OR c = 0 THEN n
          ELSE (SELECT f9 || CASE WHEN ck = 11 THEN '0' WHEN ck = 10 THEN 'X' ELSE ck::VARCHAR END
                FROM (SELECT f9, 11 - ({total}) % 11 AS ck
                      FROM (SELECT {first9} AS f9)))
          END)
        """
    )
    for name in ACTIVITY:
        key = "spell_id" if name == "apc" else "attendance_id"
        cols = [c for c in data[name].column_names if c not in ("nhs_number", key)]
        share = rows * data[name].num_rows // base_rows  # keep the datasets' proportions
        limit = f"LIMIT {share}" if copies == 1 and rows < base_rows else ""
        raw.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {name} AS
            SELECT * EXCLUDE (c) FROM (
              SELECT c || '-' || {key} AS {key}, move_nhs(nhs_number, c) AS nhs_number,
                {", ".join(cols)}, c
              FROM src_{name}, copies {limit})
            """
        )
    raw.execute(
        """
        CREATE OR REPLACE TEMP TABLE patients AS
        SELECT * REPLACE (move_nhs(nhs_number, c) AS nhs_number) FROM src_patients, copies
        """
    )
    for name in ("practices", "tariff", "market_forces_factors", "follow_up_caps"):
        raw.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM src_{name}")
    n = sum(raw.execute(f"SELECT count(*) FROM {a}").fetchall()[0][0] for a in ACTIVITY)
    return int(n)


def cpu_seconds() -> float:
    """Processor time of this process so far, every thread (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def counts(con: ibis.BaseBackend, table: str) -> dict[str, int]:
    rows = con.con.execute(  # type: ignore[attr-defined]
        f"SELECT rule_id, count(*) FROM {table} GROUP BY 1"
    ).fetchall()
    return {str(r): int(n) for r, n in rows}


def run(rows: int) -> dict[str, object]:
    con = ibis.duckdb.connect()
    t0 = time.perf_counter()
    n = load(con, rows)
    load_s = time.perf_counter() - t0
    inputs = v.Inputs(**{name: con.table(name) for name in v.INPUT_DATASETS})
    cpu = cpu_seconds()
    t0 = time.perf_counter()
    # As `pbc validate` and the refresh run them: the shared columns and tables held once.
    cached = v.cached_inputs(inputs)
    con.create_table("ours_findings", v.find(cached), temp=True, overwrite=True)
    ours_s = time.perf_counter() - t0
    ours_cpu = cpu_seconds() - cpu
    cpu = cpu_seconds()
    t0 = time.perf_counter()
    con.con.execute(BASELINE).fetchall()  # type: ignore[attr-defined]
    baseline_s = time.perf_counter() - t0
    baseline_cpu = cpu_seconds() - cpu
    ours, base = counts(con, "ours_findings"), counts(con, "base_findings")
    same = ours == base
    print(f"activity rows {n:,} (built in {load_s:.1f} s)", file=sys.stderr)
    for rule in v.RULES:
        print(f"  {rule:<32} ours {ours.get(rule, 0):>10,}  sql {base.get(rule, 0):>10,}")
    return {
        "name": "validation",
        "rows": n,
        "ours_s": round(ours_s, 3),
        "baseline": "hand-written DuckDB SQL",
        "baseline_s": round(baseline_s, 3),
        "ratio": round(ours_s / baseline_s, 3) if baseline_s else None,
        # Processor seconds (every thread): less swayed by other work on a shared machine.
        "ours_cpu_s": round(ours_cpu, 3),
        "baseline_cpu_s": round(baseline_cpu, 3),
        "cpu_ratio": round(ours_cpu / baseline_cpu, 3) if baseline_cpu else None,
        "findings": sum(ours.values()),
        "same_counts": same,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args(argv)
    result = run(args.rows)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
