"""benchmarks/national.py runs end to end on a few thousand rows: it tiles the test-scale
warehouse, times validation and costing over it and an import, and prints its JSON record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "national.py"


def test_national_benchmark_smoke(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--rows", "40000", "--ingest-rows", "2000",
         "--memory-limit", "1GB", "--workdir", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["name"] == "national" and record["rows"] == 40000
    written = record["written"]
    # two copies of the test-scale activity (about 26,700 rows each), keys and patients their own
    assert record["activity_rows"] == written["apc"] + written["op"] + written["ae"]
    assert 40000 <= record["activity_rows"] <= 60000
    assert written["patients"] > 0 and written["invoice_lines"] > 0
    steps = {s["step"]: s for s in record["duckdb"]["steps"]}
    assert set(steps) == {"validation: read and cache", "validation: rules", "finance: costing"}
    for s in steps.values():
        assert s["seconds"] > 0 and s["cpu_s"] >= 0 and s["peak_rss_gb"] > 0
        assert s["rows"] == record["activity_rows"]
    findings = steps["validation: rules"]["findings"]
    # the copies carry the generator's faults: the rules find rows, and every copy's moved
    # patients are registered (a broken NHS number or practice move would flag every row)
    assert findings.get("invalid_nhs_number", 0) > 0
    assert findings.get("not_registered_in_pct", 0) < record["activity_rows"] // 10
    assert steps["finance: costing"]["rows_costed"] > 0
    ingest = record["ingest"]["steps"][0]
    assert ingest["rows_loaded"] == 2000 and record["ingest_rows_per_s"] > 0
    assert record["refresh_validation_s"] > 0 and record["peak_rss_gb"] > 0
    assert not (tmp_path / "w").exists()  # the tiled data removed without --keep
