"""Benchmark: import N admitted-patient-care rows from CSV (`pbc import apc FILE`).

    .venv/bin/python benchmarks/ingest.py [--rows N] [--workdir DIR] [--keep]

The CSV is made from real generator output: `pbc.synth.generate` at test scale gives a few
thousand realistic `apc` spells, which DuckDB tiles to N rows (each copy gets its own
spell_id), so the file has the generator's value mix, about 290 month x provider partitions
and no invented shortcuts.

Three timings, all in this run, on the same file and machine:

- ours: `pbc.warehouse.ingest.import_file("apc", csv)`: checksum and UTF-8 check, header
  check, typing and checks, quarantine, flags, partitioned Parquet, atomic commit.
- baseline: a hand-written DuckDB SQL import applying the same type checks (trim, required
  fields, whole numbers, ISO/UK dates in 1850-2100, money half-up at the row, code lists) and
  the same named-check flags, writing the same partitioned Parquet (period x provider, the
  partition columns kept in the files) with one `COPY ... PARTITION_BY`, then the same key
  check as ours: one `GROUP BY spell_id HAVING count(*) > 1` over the written Parquet, counting
  the repeated keys (reported as baseline_repeated_keys; the file has none, and ours, finding
  none with the same kind of query, stages nothing twice). Rows failing a check are simply
  dropped (no quarantine file, no row numbers, no checksum, no atomic swap), and a repeated key
  would only be counted, not quarantined. Target: ratio = ours / baseline <= 1.5.
- raw: `COPY (SELECT * FROM read_csv(...)) TO 'x.parquet'` with type auto-detection: no checks,
  no partitions; the physical limit of reading this CSV and writing Parquet.

The last line printed is one JSON object: name, rows, ours_s, baseline, baseline_s, ratio,
plus rows_per_s, raw_s, raw_ratio, the processor seconds of each (ours_cpu_s, baseline_cpu_s,
raw_cpu_s: every thread of this process; on a shared machine they vary less than the wall
clock) with raw_cpu_ratio, and the row counts each import kept.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pbc.synth import demo_scale, generate
from pbc.warehouse.ingest import import_file

BYTES_PER_ROW = 200  # CSV bytes per apc row, rounded up (for the free-space check)


def cpu_seconds() -> float:
    """Processor time of this process so far, every thread (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_csv(rows: int, path: Path) -> int:
    """Write `rows` apc rows to `path` (tiled from test-scale generator output); return bytes."""
    sample = generate(demo_scale("test"))["apc"]
    con = duckdb.connect()
    con.register("sample", sample)
    copies = -(-rows // sample.num_rows)
    con.execute(
        f"""
        COPY (
            SELECT sample.* REPLACE (spell_id || '-' || lpad(k::VARCHAR, 5, '0') AS spell_id)
            FROM range({copies}) AS r(k), sample
            LIMIT {rows}
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )
    con.close()
    return path.stat().st_size


# The hand-written baseline. Macros keep it readable; DuckDB inlines them.
BASELINE_MACROS = r"""
CREATE MACRO clean(v) AS NULLIF(CASE WHEN ascii(v) <= 32 OR ascii(v[-1]) <= 32
    THEN trim(v, ' ' || chr(9) || chr(13) || chr(10)) ELSE v END, '');
CREATE MACRO as_int(v) AS CASE
    WHEN regexp_full_match(v, '[+-]?[0-9]{1,18}') THEN CAST(v AS BIGINT)
    WHEN regexp_full_match(v, '[+-]?[0-9]{1,18}\.0*') THEN CAST(split_part(v, '.', 1) AS BIGINT) END;
CREATE MACRO parse_date(v) AS CASE
    WHEN contains(v, '/') THEN CAST(TRY_STRPTIME(v, '%d/%m/%Y') AS DATE) ELSE TRY_CAST(v AS DATE) END;
CREATE MACRO in_range(d) AS CASE WHEN d BETWEEN DATE '1850-01-01' AND DATE '2100-12-31' THEN d END;
CREATE MACRO exact(v) AS CASE
    WHEN contains(v, '£') OR contains(v, ',') THEN
        CASE WHEN regexp_full_match(v, '[+-]?£?[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]*)?')
        THEN TRY_CAST(replace(replace(v, '£', ''), ',', '') AS DECIMAL(38, 18)) END
    ELSE TRY_CAST(v AS DECIMAL(38, 18)) END;
CREATE MACRO fit(x, limit_, typ) AS CASE WHEN abs(x) < limit_ THEN x END;
CREATE MACRO as_bool(v) AS CASE
    WHEN lower(v) IN ('true', 't', 'yes', 'y', '1') THEN true
    WHEN lower(v) IN ('false', 'f', 'no', 'n', '0') THEN false END;
CREATE MACRO mod11(d) AS (11 - ((ascii(d[1]) - 48) * 10 + (ascii(d[2]) - 48) * 9
    + (ascii(d[3]) - 48) * 8 + (ascii(d[4]) - 48) * 7 + (ascii(d[5]) - 48) * 6
    + (ascii(d[6]) - 48) * 5 + (ascii(d[7]) - 48) * 4 + (ascii(d[8]) - 48) * 3
    + (ascii(d[9]) - 48) * 2) % 11);
CREATE MACRO nhs_digits_ok(d) AS regexp_full_match(d, '[0-9]{10}') AND d <> repeat(d[1], 10)
    AND (CASE WHEN mod11(d) = 11 THEN 0 ELSE mod11(d) END) = ascii(d[10]) - 48;
CREATE MACRO nhs_ok(v) AS COALESCE(CASE WHEN regexp_full_match(v, '[0-9]{10}') THEN nhs_digits_ok(v)
    ELSE nhs_digits_ok(regexp_replace(v, '[\t\n\x0b\f\r\x1c-\x1f -]', '', 'g')) END, false);
CREATE MACRO shape_ok(v, pattern) AS COALESCE(regexp_full_match(v, pattern), false);
"""

# Cleaned text once per column (inner), then types, flags and the checks (outer).
BASELINE_SELECT = r"""
SELECT
    spell_id, nhs_number, gp_practice_code, provider_code, sex,
    as_int(age_on_admission) AS age_on_admission,
    admission_d AS admission_date,
    discharge_d AS discharge_date,
    as_int(length_of_stay) AS length_of_stay,
    admission_method, patient_classification, treatment_function_code, primary_diagnosis_code,
    as_bool(procedure_flag) AS procedure_flag,
    discharge_method, hrg_code, point_of_delivery, commissioner_code, charged_point_of_delivery,
    charged_hrg_code,
    as_int(charged_excess_bed_days) AS charged_excess_bed_days,
    CAST(mff AS DECIMAL(6, 4)) AS market_forces_factor,
    CAST(price AS DECIMAL(14, 2)) AS charged_price,
    nhs_ok(nhs_number) AS nhs_number_valid,
    shape_ok(gp_practice_code, '[A-Z][0-9]{5}') AS gp_practice_code_valid,
    shape_ok(provider_code, '[A-Z0-9]{3}|[A-Z0-9]{5}') AS provider_code_valid,
    shape_ok(treatment_function_code, '[0-9]{3}') AS treatment_function_code_valid,
    shape_ok(primary_diagnosis_code, '[A-Z][0-9]{2}(\.?[0-9X]{1,2})?') AS primary_diagnosis_code_valid,
    shape_ok(hrg_code, '[A-Z]{2}[0-9]{2}[A-Z]') AS hrg_code_valid,
    shape_ok(commissioner_code, '5[A-Z0-9]{2}') AS commissioner_code_valid,
    shape_ok(charged_hrg_code, '[A-Z]{2}[0-9]{2}[A-Z]') AS charged_hrg_code_valid,
    strftime(discharge_d, '%Y-%m') AS period
FROM (
    SELECT *,
        in_range(parse_date(admission_date)) AS admission_d,
        in_range(parse_date(discharge_date)) AS discharge_d,
        fit(ROUND(exact(market_forces_factor), 4), 100, 'mff') AS mff,
        fit(ROUND(exact(charged_price), 2), 1000000000000, 'money') AS price
    FROM (SELECT {cleaned} FROM read_csv('{csv}', header = true, auto_detect = false,
          delim = ',', quote = '"', escape = '"', strict_mode = true, columns = {columns}))
)
WHERE spell_id IS NOT NULL
  AND gp_practice_code IS NOT NULL
  AND regexp_full_match(provider_code, '[A-Za-z0-9]{1,16}')
  AND (sex IS NULL OR sex IN ('M', 'F'))
  AND (age_on_admission IS NULL OR as_int(age_on_admission) IS NOT NULL)
  AND admission_d IS NOT NULL
  AND discharge_d IS NOT NULL
  AND as_int(length_of_stay) IS NOT NULL
  AND admission_method IN ({admission_methods})
  AND patient_classification IN ('1', '2', '3', '4', '5')
  AND treatment_function_code IS NOT NULL
  AND as_bool(procedure_flag) IS NOT NULL
  AND discharge_method IN ('1', '2', '3', '4', '5', '8', '9')
  AND hrg_code IS NOT NULL
  AND point_of_delivery IN ('EL', 'DC', 'NEL', 'NELST')
  AND commissioner_code IS NOT NULL
  AND charged_point_of_delivery IN ('EL', 'DC', 'NEL', 'NELST')
  AND as_int(charged_excess_bed_days) IS NOT NULL
  AND mff IS NOT NULL
  AND price IS NOT NULL
"""


def baseline_import(csv: Path, out: Path) -> tuple[float, float, int, int]:
    """Seconds, processor seconds, rows written and keys repeated (apc's key, `APC.key`:
    spell_id)."""
    from pbc.warehouse.datasets import ADMISSION_METHODS, APC

    con = duckdb.connect()
    con.execute(BASELINE_MACROS)
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in APC.names) + "}"
    methods = ", ".join(f"'{m}'" for m in sorted(ADMISSION_METHODS))
    cleaned = ", ".join(f"clean({n}) AS {n}" for n in APC.names)
    select = (
        BASELINE_SELECT.replace("{csv}", str(csv))
        .replace("{columns}", columns)
        .replace("{cleaned}", cleaned)
        .replace("{admission_methods}", methods)
    )
    key = ", ".join(APC.key)
    cpu = cpu_seconds()
    start = time.perf_counter()
    con.execute(
        f"COPY ({select}) TO '{out}' (FORMAT parquet, PARTITION_BY (period, provider_code), "
        "WRITE_PARTITION_COLUMNS true)"
    )
    repeated = con.execute(
        f"SELECT count(*) FROM (SELECT {key} FROM read_parquet('{out}/**/*.parquet', "
        f"hive_partitioning = false) GROUP BY {key} HAVING count(*) > 1)"
    ).fetchall()
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet')").fetchall()
    con.close()
    return seconds, cpu, int(rows[0][0]), int(repeated[0][0])


def raw_copy(csv: Path, out: Path) -> tuple[float, float]:
    """Seconds and processor seconds."""
    con = duckdb.connect()
    cpu = cpu_seconds()
    start = time.perf_counter()
    con.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' (FORMAT parquet)")
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    con.close()
    return seconds, cpu


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the CSV and outputs")
    args = parser.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="pbc-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    need = args.rows * BYTES_PER_ROW * 3  # CSV, our Parquet, baseline Parquet, raw Parquet
    free = shutil.disk_usage(work).free
    if free < need:
        sys.exit(f"not enough free disk in {work}: need about {need / 1e9:.1f} GB, "
                 f"have {free / 1e9:.1f} GB")  # fmt: skip
    try:
        csv = work / "apc.csv"
        t0 = time.perf_counter()
        size = make_csv(args.rows, csv)
        print(f"generated {args.rows:,} apc rows ({size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip

        ours_cpu = cpu_seconds()
        result = import_file("apc", csv, data_dir=work / "ours")
        ours_cpu = cpu_seconds() - ours_cpu
        ours_s = result.seconds
        print(f"ours:     {ours_s:7.2f} s  {args.rows / ours_s:12,.0f} rows/s  "
              f"(loaded {result.rows_loaded:,}, rejected {result.rows_rejected:,}, "
              f"{len(result.partitions)} partitions)", flush=True)  # fmt: skip

        baseline_s, baseline_cpu, baseline_rows, baseline_repeated = baseline_import(
            csv, work / "baseline"
        )
        print(f"baseline: {baseline_s:7.2f} s  {args.rows / baseline_s:12,.0f} rows/s  "
              f"(kept {baseline_rows:,}, repeated keys {baseline_repeated:,})",
              flush=True)  # fmt: skip

        raw_s, raw_cpu = raw_copy(csv, work / "raw.parquet")
        print(f"raw COPY: {raw_s:7.2f} s  {args.rows / raw_s:12,.0f} rows/s", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    record: dict[str, object] = {
        "name": "ingest",
        "rows": args.rows,
        "ours_s": round(ours_s, 3),
        "baseline": "hand-written DuckDB SQL import, same checks, same partitioned Parquet, "
        "same key check (GROUP BY key HAVING count(*) > 1)",
        "baseline_s": round(baseline_s, 3),
        "ratio": round(ours_s / baseline_s, 3),
        "rows_per_s": round(args.rows / ours_s),
        "raw_baseline": "DuckDB COPY read_csv TO x.parquet (no checks, no partitions)",
        "raw_s": round(raw_s, 3),
        "raw_ratio": round(ours_s / raw_s, 3),
        # Processor seconds (every thread of this process): less swayed than the wall-clock
        # times by other work on a shared machine.
        "ours_cpu_s": round(ours_cpu, 3),
        "baseline_cpu_s": round(baseline_cpu, 3),
        "raw_cpu_s": round(raw_cpu, 3),
        "raw_cpu_ratio": round(ours_cpu / raw_cpu, 3),
        "ours_rows_loaded": result.rows_loaded,
        "baseline_rows_kept": baseline_rows,
        "baseline_repeated_keys": baseline_repeated,
        "partitions": len(result.partitions),
        "csv_bytes": size,
    }
    print(json.dumps(record), flush=True)
    return record


if __name__ == "__main__":
    main()
