"""Benchmark: a national year of activity (default 150 million apc, op and A&E rows).

    .venv/bin/python benchmarks/national.py [--rows N] [--ingest-rows N] [--spark-rows N]
        [--memory-limit 12GB] [--workdir DIR] [--keep]

The data is real generator output: `pbc.synth.generate` at test scale (about 26,700 apc, op and
A&E rows over four financial years, 29 practices, 5,400 registered patients), tiled by DuckDB as
Parquet into a warehouse (`pbc.warehouse.store.commit`, as an import commits) until the activity
datasets hold N rows. Each copy gets its own row keys (`<key>-<copy>`, the same in the invoice
lines and the imaging rows' parents) and its own patients: every NHS number that passes the
modulus 11 check moves to a number of its own in the copy (check digit recomputed, the same move
in the register), invalid ones stay as they are. Copies share practices in groups, so that the
national warehouse has about 8,000 practices (each copy's practice codes are those of its
group, `A00000` upwards), as England has. The invoice lines, imaging rows and the register are
tiled with the activity; tariff, MFF, follow-up caps and local prices are written once.
The dates stay the generator's (April 2005 to March 2009): N rows spread over four years.

Timed on DuckDB over the whole warehouse, in a child process (so its peak memory is its own),
with DuckDB's memory limit set (`--memory-limit`; it spills to a folder beside the data):

1. `validation: read and cache`: `pbc.analytics.validation.warehouse_inputs(con, cache=True)`,
   as `pbc validate` and the refresh read the warehouse (each dataset once, the NHS number
   check per row, the spells costed at tariff);
2. `validation: rules`: `find(inputs)` written to a table (every finding of all rules), with the
   count per rule;
3. `finance: costing`: the refresh's costing (`spend.activity_summary` over apc, op, A&E and
   imaging with their invoice lines, report month March 2009, three financial years read) to
   Arrow, as `pbc.finance.refresh` runs it (the statements and facts written from it are not
   timed: their work scales with practices x months, not with rows).

Then `ingest`: `pbc.warehouse.ingest.import_file("apc", csv)` of a CSV of `--ingest-rows`
tiled apc rows (made as `benchmarks/ingest.py` makes its file), with its rate; and, when
`--spark-rows` is given, steps 1-3 again on a standalone Spark cluster on loopback (a master and
two workers started from the PySpark package, as `tests/spark_cluster.py` does) over a
warehouse of that many rows, with the same steps on DuckDB at that size beside them for the
slope. pbc has no Spark import path, so ingest is measured on DuckDB only.

Each step reports seconds, processor seconds of the measuring process (every thread; for Spark
the driver only, not the executors), rows/s and the peak resident memory of the measuring
process and its children during the step (sampled every 0.2 s from /proc). The last line is one
JSON object: name, rows, steps, peak_rss_gb, refresh_validation_s, ingest_rows_per_s, ...
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ACTIVITY = ("apc", "op", "ae")
KEYS = {"apc": "spell_id", "op": "attendance_id", "ae": "attendance_id", "imaging": "imaging_id"}
NATIONAL_PRACTICES = 8_000
ONCE = ("tariff", "market_forces_factors", "follow_up_caps", "local_prices")
BYTES_PER_ROW = 60  # Parquet bytes per tiled activity row with its share of the rest, rounded up
REPORT_MONTH = "2009-03"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- memory: the resident set of this process and its children, sampled ----------------------


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and its descendants (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total


class MemorySampler:
    """Peak resident memory of this process tree since `reset()`, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.peak = 0
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, _tree_rss(os.getpid()))

    def reset(self) -> None:
        self.peak = _tree_rss(os.getpid())

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def step(
    steps: list[dict[str, Any]], name: str, rows: int, memory: MemorySampler
) -> Iterator[dict[str, Any]]:
    memory.reset()
    record: dict[str, Any] = {"step": name, "rows": rows}
    cpu, start = cpu_seconds(), time.perf_counter()
    yield record
    seconds = time.perf_counter() - start
    record.update(
        seconds=round(seconds, 2),
        cpu_s=round(cpu_seconds() - cpu, 2),
        rows_per_s=round(rows / seconds) if seconds else None,
        peak_rss_gb=round(max(memory.peak, _tree_rss(os.getpid())) / 1e9, 2),
    )
    steps.append(record)
    print(f"  {name:<28} {seconds:8.1f} s  {record['cpu_s']:8.1f} s CPU  "
          f"{record['rows_per_s'] or 0:>12,} rows/s  peak {record['peak_rss_gb']:.2f} GB",
          file=sys.stderr, flush=True)  # fmt: skip


# --- the tiled warehouse ----------------------------------------------------------------------


TILE_MACROS = """
CREATE MACRO nhs_sum(f9) AS {sum};
CREATE MACRO nhs_ck(f9) AS (11 - nhs_sum(f9) % 11) % 11;
CREATE MACRO nhs9(x) AS CASE WHEN nhs_ck(x::VARCHAR) = 10 THEN (x + 1)::VARCHAR
    || nhs_ck((x + 1)::VARCHAR)::VARCHAR ELSE x::VARCHAR || nhs_ck(x::VARCHAR)::VARCHAR END;
CREATE MACRO new_nhs(orig, idx, c) AS CASE WHEN idx IS NULL THEN orig
    ELSE nhs9(100000000 + 2 * (c * {patients} + idx)) END;
CREATE MACRO new_practice(orig, idx, g) AS CASE WHEN idx IS NULL THEN orig
    ELSE chr(65 + ((idx * {groups} + g) // 100000)::INTEGER)
        || lpad(((idx * {groups} + g) % 100000)::VARCHAR, 5, '0') END;
"""


SEED_ORDER = (
    "practices",
    "tariff",
    "market_forces_factors",
    "local_prices",
    "follow_up_caps",
    "patients",
    "apc",
    "op",
    "ae",
    "imaging",
    "invoice_lines",
)


def seed(folder: Path) -> Path:
    """The test-scale files (`pbc.synth.write`, Parquet and the HES / SUS / SLAM extracts)
    imported through the import path into a warehouse under `folder`: the rows as stored, with
    their check flags and periods. Returns its data directory."""
    from pbc import synth
    from pbc.synth.generator import file_name
    from pbc.warehouse.ingest import import_file

    source, data_dir = folder / "files", folder / "warehouse"
    synth.write(source, fmt="parquet", config=synth.demo_scale("test"))
    for name in SEED_ORDER:
        import_file(name, source / file_name(name, "parquet"), data_dir=data_dir)
    shutil.rmtree(source)
    return data_dir


def build(rows: int, data_dir: Path) -> dict[str, int]:
    """Tile the test-scale warehouse (`seed`) into a warehouse under `data_dir` until apc + op +
    ae hold about `rows` rows; returns the rows written per dataset."""
    import duckdb
    import pyarrow as pa

    from pbc.warehouse import store

    seeded = seed(data_dir / "seed")
    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{data_dir / 'duckdb-tmp'}'")
    for name in SEED_ORDER:
        files = ", ".join(f"'{f}'" for f in store.live_files(name, seeded))
        con.execute(
            f"CREATE TABLE src_{name} AS SELECT * FROM read_parquet([{files}], "
            "hive_partitioning = false)"
        )
    sizes = {
        name: int(con.execute(f"SELECT count(*) FROM src_{name}").fetchone()[0])  # type: ignore[index]
        for name in SEED_ORDER
    }
    base = sum(sizes[n] for n in ACTIVITY)
    copies = max(1, math.ceil(rows / base))
    fraction = min(1.0, rows / base)  # below one copy: a share of each dataset
    numbers = sorted(
        {
            str(n)
            for name in (*ACTIVITY, "imaging", "patients")
            for (n,) in con.execute(
                f"SELECT DISTINCT nhs_number FROM src_{name} WHERE nhs_number_valid"
            ).fetchall()
        }
    )
    practices = [
        str(p)
        for (p,) in con.execute(
            "SELECT gp_practice_code FROM src_practices WHERE gp_practice_code_valid ORDER BY 1"
        ).fetchall()
    ]
    groups = max(1, min(copies, math.ceil(NATIONAL_PRACTICES / len(practices))))
    con.register("nhs_map", pa.table({"orig": numbers, "idx": list(range(len(numbers)))}))
    con.register("practice_map", pa.table({"orig": practices, "idx": list(range(len(practices)))}))
    total = " + ".join(f"(ascii(f9[{i}]) - 48) * {11 - i}" for i in range(1, 10))
    con.execute(
        TILE_MACROS.replace("{sum}", total)
        .replace("{patients}", str(len(numbers)))
        .replace("{groups}", str(groups))
    )
    con.execute(f"CREATE TABLE copies AS SELECT range AS c FROM range({copies})")

    def tiled(name: str) -> str:
        key = KEYS.get(name)
        replace = [
            "new_nhs(t.nhs_number, m.idx, c) AS nhs_number",
            f"new_practice(t.gp_practice_code, p.idx, c % {groups}) AS gp_practice_code",
        ]
        if key:
            replace.append(f"t.{key} || '-' || c AS {key}")
        if name == "imaging":
            replace.append("t.parent_row_id || '-' || c AS parent_row_id")
        limit = ""
        if fraction < 1 and name in (*ACTIVITY, "imaging"):
            limit = f"LIMIT {max(1, round(sizes[name] * fraction))}"
        return (
            f"SELECT t.* REPLACE ({', '.join(replace)}) FROM copies, "
            f"(SELECT * FROM src_{name} {limit}) t "
            "LEFT JOIN nhs_map m ON m.orig = t.nhs_number "
            "LEFT JOIN practice_map p ON p.orig = t.gp_practice_code"
        )

    queries = {name: tiled(name) for name in (*ACTIVITY, "imaging", "patients")}
    queries["invoice_lines"] = (
        "SELECT t.* REPLACE (t.activity_id || '-' || c AS activity_id) "
        "FROM copies, src_invoice_lines t"
    )
    queries["practices"] = (
        f"SELECT t.* REPLACE (new_practice(t.gp_practice_code, p.idx, g) AS gp_practice_code) "
        f"FROM range({groups}) AS r(g), src_practices t "
        "LEFT JOIN practice_map p ON p.orig = t.gp_practice_code WHERE p.idx IS NOT NULL OR g = 0"
    )
    for name in ONCE:
        queries[name] = f"SELECT * FROM src_{name}"
    written = {}
    for name, query in queries.items():
        folder = store.dataset_dir(name, data_dir)
        staging = folder / store.STAGING / "national"
        staging.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY ({query}) TO '{staging}' (FORMAT parquet, FILE_SIZE_BYTES '256MB', "
            "OVERWRITE_OR_IGNORE true)"
        )
        files = sorted(staging.glob("*.parquet"))
        counts = [
            int(con.execute(f"SELECT count(*) FROM read_parquet('{f}')").fetchone()[0])  # type: ignore[index]
            for f in files
        ]
        staged = [
            store.StagedPartition(name=f"tile-{i:04d}", files=(f,), rows=n)
            for i, (f, n) in enumerate(zip(files, counts, strict=True))
        ]
        with store.dataset_lock(folder):
            store.commit(folder, name, "national", staged, source_name="benchmarks/national.py")
        shutil.rmtree(staging, ignore_errors=True)
        written[name] = sum(counts)
        print(f"  tiled {name}: {written[name]:,} rows", file=sys.stderr, flush=True)
    con.close()
    shutil.rmtree(data_dir / "duckdb-tmp", ignore_errors=True)
    shutil.rmtree(data_dir / "seed", ignore_errors=True)
    return written


# --- the measured steps (run in a child process) ------------------------------------------------


def measure(data_dir: Path, engine: str, memory_limit: str) -> dict[str, Any]:
    """Steps 1-3 over the warehouse in `data_dir` on `engine`; returns the steps."""
    os.environ["PBC_DATA_DIR"] = str(data_dir)
    import ibis

    from pbc.analytics import invoices
    from pbc.analytics import validation as v
    from pbc.analytics.finance import spend
    from pbc.periods import financial_year_of, month_end, parse_month, year_start
    from pbc.warehouse import engine as wh
    from pbc.warehouse import store

    memory = MemorySampler()
    con = wh.connect(engine)
    if engine == "duckdb":
        raw = con.con  # type: ignore[attr-defined]
        raw.execute(f"SET memory_limit = '{memory_limit}'")
        raw.execute(f"SET temp_directory = '{data_dir / 'duckdb-tmp'}'")
    activity = sum(store.read_manifest(store.dataset_dir(n, data_dir), n).rows for n in ACTIVITY)
    steps: list[dict[str, Any]] = []

    with step(steps, "validation: read and cache", activity, memory):
        inputs = v.warehouse_inputs(con, data_dir, cache=True)
    with step(steps, "validation: rules", activity, memory) as record:
        found = v.find(inputs)
        if engine == "duckdb":
            con.create_table("findings", found, temp=True, overwrite=True)
            findings = con.table("findings")
        else:
            findings = found.cache()
        per_rule = con.to_pyarrow(findings.group_by("rule_id").aggregate(n=findings.count()))
        record["findings"] = dict(
            zip(per_rule["rule_id"].to_pylist(), per_rule["n"].to_pylist(), strict=True)
        )
    del inputs, found, findings
    month = parse_month(REPORT_MONTH)
    years = [financial_year_of(month)]
    start = year_start(years[0])
    start = start.replace(year=start.year - 2)  # three financial years, as the refresh reads
    with step(steps, "finance: costing", activity, memory) as record:
        per_line = invoices.per_row(wh.table(con, "invoice_lines")).cache()
        lines = wh.table(con, "invoice_lines")
        datasets: dict[str, ibis.Table] = {}
        for name in (*ACTIVITY, "imaging"):
            t = wh.table(con, name)
            rows = invoices.per_scan(lines, t) if name == "imaging" else per_line
            datasets[name] = invoices.with_invoices(t, lines, spend.ROW_ID[name], rows=rows)
        summary = spend.activity_summary(
            datasets,
            wh.table(con, "tariff"),
            wh.table(con, "market_forces_factors"),
            wh.table(con, "practices"),
            start,
            month_end(month),
            local_prices=wh.table(con, "local_prices"),
        )
        result = con.to_pyarrow(summary)
        record["summary_rows"] = result.num_rows
        record["rows_costed"] = int(sum(result.column("rows").to_pylist()))
    memory.stop()
    return {
        "engine": engine,
        "activity_rows": activity,
        "steps": steps,
        "process_peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
    }


def measure_ingest(rows: int, work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from ingest import make_csv  # benchmarks/ingest.py: the same tiled apc file

    from pbc.warehouse.ingest import import_file

    work.mkdir(parents=True, exist_ok=True)
    csv = work / "apc.csv"
    started = time.perf_counter()
    size = make_csv(rows, csv)
    made = time.perf_counter() - started
    memory = MemorySampler()
    steps: list[dict[str, Any]] = []
    with step(steps, "ingest (apc CSV)", rows, memory) as record:
        result = import_file("apc", csv, data_dir=work / "ingest")
        record["rows_loaded"] = result.rows_loaded
        record["partitions"] = len(result.partitions)
    memory.stop()
    csv.unlink()
    shutil.rmtree(work / "ingest", ignore_errors=True)
    return {"csv_bytes": size, "csv_made_s": round(made, 1), "steps": steps}


# --- the parent: build, run the children, report --------------------------------------------


def child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(  # its progress lines go to this process's stderr as they come
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def on_spark(data_dir: Path, work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from spark_cluster import standalone_cluster

    with standalone_cluster(work / "spark-cluster", workers=2, worker_memory="2g") as cluster:
        env = {**os.environ, **cluster.client_environment(), "PBC_ENGINE": "pyspark"}
        return child(["--measure", str(data_dir), "--engine", "pyspark"], env)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--rows", type=int, default=150_000_000, help="activity rows (DuckDB); 0: none"
    )
    parser.add_argument("--ingest-rows", type=int, default=20_000_000, help="0: no ingest")
    parser.add_argument("--spark-rows", type=int, default=0, help="0: no Spark run")
    parser.add_argument("--memory-limit", default="12GB", help="DuckDB's memory_limit")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the tiled warehouse")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child: a data dir
    parser.add_argument("--measure-ingest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="duckdb", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure:
        print(json.dumps(measure(args.measure, args.engine, args.memory_limit)), flush=True)
        return {}
    if args.measure_ingest:
        print(json.dumps(measure_ingest(args.ingest_rows, args.measure_ingest)), flush=True)
        return {}

    work = args.workdir or Path(tempfile.mkdtemp(prefix="pbc-bench-national-"))
    work.mkdir(parents=True, exist_ok=True)
    need = max(args.rows, args.spark_rows) * BYTES_PER_ROW + args.ingest_rows * 400
    free = shutil.disk_usage(work).free
    if free < need:
        sys.exit(f"not enough free disk in {work}: need about {need / 1e9:.1f} GB, "
                 f"have {free / 1e9:.1f} GB")  # fmt: skip
    record: dict[str, Any] = {"name": "national", "rows": args.rows, "load_average": []}
    record["load_average"].append(round(os.getloadavg()[0], 1))
    started = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        if args.rows:
            data_dir = work / "national"
            t0 = time.perf_counter()
            written = build(args.rows, data_dir)
            record["build_s"] = round(time.perf_counter() - t0, 1)
            record["written"] = written
            print(f"tiled {sum(written[n] for n in ACTIVITY):,} activity rows in "
                  f"{record['build_s']} s: {written}", file=sys.stderr, flush=True)  # fmt: skip
            record["duckdb"] = child(
                ["--measure", str(data_dir), "--memory-limit", args.memory_limit]
            )
            record["load_average"].append(round(os.getloadavg()[0], 1))
            if not args.keep:
                shutil.rmtree(data_dir, ignore_errors=True)
        if args.ingest_rows:
            record["ingest"] = child(
                ["--measure-ingest", str(work / "ingest-work"), "--ingest-rows",
                 str(args.ingest_rows)]
            )  # fmt: skip
            record["load_average"].append(round(os.getloadavg()[0], 1))
        if args.spark_rows:
            small = work / "spark-size"
            build(args.spark_rows, small)
            record["spark_duckdb"] = child(
                ["--measure", str(small), "--memory-limit", args.memory_limit]
            )
            record["spark"] = on_spark(small, work)
            record["load_average"].append(round(os.getloadavg()[0], 1))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    record["wall_s"] = round(time.perf_counter() - started, 1)
    record["children_cpu_s"] = round(
        children.ru_utime + children.ru_stime - cpu.ru_utime - cpu.ru_stime, 1
    )
    if "duckdb" in record:
        duck = record["duckdb"]
        record["activity_rows"] = duck["activity_rows"]
        record["refresh_validation_s"] = round(sum(s["seconds"] for s in duck["steps"]), 1)
        record["refresh_validation_cpu_s"] = round(sum(s["cpu_s"] for s in duck["steps"]), 1)
        record["peak_rss_gb"] = max(s["peak_rss_gb"] for s in duck["steps"])
    if "ingest" in record:
        record["ingest_rows_per_s"] = record["ingest"]["steps"][0]["rows_per_s"]
    print(json.dumps(record), flush=True)
    return record


if __name__ == "__main__":
    main()
