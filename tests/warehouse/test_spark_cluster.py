"""pbc on a real Spark cluster: a standalone master and two workers on 127.0.0.1, started from
the PySpark package (`spark_cluster`, once for the run), run the engine spec tests and a
`PBC_ENGINE=pyspark pbc refresh` of the test-scale demo's warehouse, whose stored figures
equal those DuckDB stored.

One process has one Spark driver (this run's local session), so the work on the cluster runs in
child processes configured only by the environment, as a deployment is: `PBC_SPARK_MASTER`,
`PBC_SPARK_CONF` and `PBC_SPARK_WAREHOUSE` (the warehouse as the cluster sees it: here through
another path, a symbolic link, to the same folder).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine_fixtures import TEST_SPARK_CONFIG

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MONTH = "2009-01"  # the demo's finance report month (the statements the fingerprint holds)
FINGERPRINT = """
import json, django
django.setup()
import test_demo_fingerprint
print(json.dumps(test_demo_fingerprint.fingerprint()))
"""


def cluster_environment(cluster: Any, **more: str) -> dict[str, str]:
    """This process's environment with the cluster's, the tests' Spark properties added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(cluster.client_environment())
    tests = ";".join(f"{k}={v}" for k, v in TEST_SPARK_CONFIG.items())
    env["PBC_SPARK_CONF"] = f"{tests};{env['PBC_SPARK_CONF']}"
    env.update(more)
    return env


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args[:4]} failed ({done.returncode}):\n{done.stdout[-4000:]}"
    return done.stdout


def executors_launched(cluster: Any) -> list[int]:
    """How many executors each worker has launched so far (from its log)."""
    return [
        (cluster.folder / f"worker-{i + 1}.log").read_text().count("Asked to launch executor")
        for i in range(cluster.workers)
    ]


def test_engine_spec_tests_pass_on_the_cluster(spark_cluster: Any, tmp_path: Path) -> None:
    before = executors_launched(spark_cluster)
    out = run(
        [sys.executable, "-m", "pytest", "-q", "-m", "spark", "-p", "no:cacheprovider",
         "-p", "no:randomly", f"--basetemp={tmp_path / 'pytest'}", "tests/warehouse/test_engines.py"],
        cluster_environment(spark_cluster),
    )  # fmt: skip
    passed = re.search(r"(\d+) passed", out)
    assert passed and int(passed.group(1)) >= 6, out[-2000:]  # test_engines.py's Spark tests
    assert "failed" not in out and "error" not in out, out[-2000:]
    # Both workers ran executors for it: the queries were distributed, not run in the driver.
    assert all(n > m for n, m in zip(executors_launched(spark_cluster), before, strict=True))


def copy_demo(data_dir: Path, target: Path) -> None:
    """The session's test-scale demo (database as built, warehouse) in a data directory of
    its own, so that a refresh there changes nothing this run's other tests read."""
    from django.db import connections

    from demo_snapshot import TEMPLATE_SUFFIX

    connection = connections["default"]
    if connection.vendor != "sqlite":
        pytest.fail("the cluster refresh test copies the SQLite test database: run it on SQLite")
    target.mkdir()
    source = connection.settings_dict["NAME"] + TEMPLATE_SUFFIX
    with sqlite3.connect(source) as built, sqlite3.connect(target / "pbc.sqlite3") as copy:
        built.backup(copy)
    shutil.copytree(data_dir / "warehouse", target / "warehouse")


# The session's test-scale demo, built with DuckDB, is the input (copied as a SQLite file).
@pytest.mark.django_db
@pytest.mark.any_database
def test_refresh_on_the_cluster_stores_the_same_figures_as_duckdb(
    spark_cluster: Any,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    copy = tmp_path / "data"
    copy_demo(data_dir, copy)
    (tmp_path / "cluster-view").symlink_to(copy / "warehouse")
    env = cluster_environment(
        spark_cluster,
        PBC_DATA_DIR=str(copy),
        PBC_ENGINE="pyspark",
        PBC_SPARK_WAREHOUSE=f"file://{tmp_path / 'cluster-view'}",
        PYTHONPATH=str(ROOT / "tests"),
    )
    env.pop("DATABASE_URL", None)  # the copy's own SQLite database
    fingerprint = [sys.executable, "-c", FINGERPRINT]
    duckdb = json.loads(run(fingerprint, env))
    assert duckdb["statements"] and duckdb["findings"] and duckdb["indicators"]

    before = executors_launched(spark_cluster)
    out = run([sys.executable, "-m", "pbc.cli", "refresh", "--force", "--month", MONTH], env)
    assert all(n > m for n, m in zip(executors_launched(spark_cluster), before, strict=True))
    # Every step ran there; the findings it found for the month are the ones DuckDB stored.
    assert "validation findings: 0 new, 0 updated," in out and "0 no longer flagged" in out, out
    assert f"facts for {MONTH}" in out and "values of" in out and "over 1 months" in out, out

    spark = json.loads(run(fingerprint, env))
    for section in ("statements", "findings", "indicators"):
        moved = [k for k in duckdb[section] if spark[section].get(k) != duckdb[section][k]]
        assert set(spark[section]) == set(duckdb[section]) and not moved, (
            f"{section}: {len(moved)} entries differ on the cluster, first {moved[:1]}"
        )
