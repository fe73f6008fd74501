"""Benchmark: risk stratification training on a population of N people (default 500,000).

    .venv/bin/python benchmarks/risk.py [--people N] [--workdir DIR] [--keep]

The data is real generator output: `pbc.synth.generate` at test scale gives about 4,000 people
with their registrations, conditions, spells, A&E and outpatient attendances; DuckDB tiles them
to N people (each copy gets its own NHS numbers, so copies are distinct people with the same
histories). Parquet files, read through Ibis on DuckDB, as the warehouse is.

The work timed (what `pbc risk train` does, minus saving the file and the database row):

1. build the training year (outcome 2006/07) and the held-out year (2007/08) with
   `pbc.analytics.population.risk_features.dataset` (Ibis, then `to_pandas()`);
2. `risk_model.train`: fit gradient boosting and logistic regression on 75% of the training
   year, validate on 25%, refit both on the whole year, evaluate both and the rule baseline on
   the held-out year (AUC, top-k PPV/sensitivity, calibration).

Target: the whole of it under 5 minutes on this machine. Baseline in the same run: a plain
scikit-learn LogisticRegression fitted once on the raw features of the training year (the
least any model training costs here). Peak memory is the process's maximum resident set size
(`ru_maxrss`), which includes the tiled input data.

The last line printed is one JSON object: name, people, ours_s (features + training),
features_s, train_s, baseline, baseline_s, ratio, peak_rss_mb, target_s, within_target, and the
held-out AUCs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import ibis
import pyarrow.parquet as pq
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from pbc import synth
from pbc.analytics.population import risk_features as rf
from pbc.analytics.population import risk_model as rm
from pbc.analytics.population.cohort import registered_on

TARGET_S = 300.0
TRAIN_INDEX = dt.date(2006, 4, 1)
TABLES = ("patients", "apc", "ae", "op")
KEYS = {"apc": "spell_id", "ae": "attendance_id", "op": "attendance_id"}


def make_data(workdir: Path, people: int) -> dict[str, Path]:
    data = synth.generate(synth.demo_scale("test"))
    seed_dir = workdir / "seed"
    seed_dir.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        pq.write_table(data[name], seed_dir / f"{name}.parquet")
    # Copies so that about `people` are registered on the training index date.
    seed_patients = ibis.duckdb.connect().read_parquet(str(seed_dir / "patients.parquet"))
    registered = int(registered_on(seed_patients, TRAIN_INDEX).count().execute())
    copies = max(1, round(people / registered))
    out: dict[str, Path] = {}
    for name in TABLES:
        target = workdir / f"{name}.parquet"
        key = KEYS.get(name)
        rekey = f", {key} || '-' || c.i as {key}" if key else ""
        exclude = f"exclude (nhs_number{', ' + key if key else ''})"
        duckdb.sql(
            f"""copy (
                select t.* {exclude},
                       t.nhs_number || '-' || c.i as nhs_number {rekey}
                from '{seed_dir / f"{name}.parquet"}' t, range({copies}) c(i)
            ) to '{target}' (format parquet)"""
        )
        out[name] = target
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pbc-risk-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        files = make_data(workdir, args.people)
        print(f"data tiled in {time.perf_counter() - t0:.1f}s")

        con = ibis.duckdb.connect()
        t = {name: con.read_parquet(str(path)) for name, path in files.items()}
        started = time.perf_counter()
        train_df = rf.dataset(t["patients"], t["apc"], t["ae"], t["op"], TRAIN_INDEX)
        train_df = train_df.to_pandas()
        eval_df = rf.dataset(t["patients"], t["apc"], t["ae"], t["op"], dt.date(2007, 4, 1))
        eval_df = eval_df.to_pandas()
        features_s = time.perf_counter() - started
        print(f"features: {len(train_df):,} + {len(eval_df):,} people in {features_s:.1f}s")

        t1 = time.perf_counter()
        result = rm.train(train_df, eval_df, progress=lambda step: print(f"  {step}"))
        train_s = time.perf_counter() - t1
        ours_s = time.perf_counter() - started
        print(f"training: {train_s:.1f}s; chosen {result.chosen}")

        t2 = time.perf_counter()
        with threadpool_limits(limits=rm.THREADS):
            LogisticRegression(max_iter=1000).fit(train_df[list(rf.FEATURES)], train_df["admitted"])
        baseline_s = time.perf_counter() - t2
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            json.dumps(
                {
                    "name": "risk_train",
                    "people": len(train_df),
                    "ours_s": round(ours_s, 2),
                    "features_s": round(features_s, 2),
                    "train_s": round(train_s, 2),
                    "baseline": "one plain LogisticRegression fit on the raw training features",
                    "baseline_s": round(baseline_s, 2),
                    "ratio": round(ours_s / baseline_s, 2) if baseline_s else None,
                    "peak_rss_mb": round(peak_mb, 1),
                    "target_s": TARGET_S,
                    "within_target": ours_s < TARGET_S,
                    "chosen": result.chosen,
                    "auc": {k: round(m.auc, 4) for k, m in result.evaluation.items()},
                }
            )
        )
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
