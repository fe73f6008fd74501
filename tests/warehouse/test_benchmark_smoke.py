"""benchmarks/ingest.py runs end to end on a few thousand rows and prints its JSON record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "ingest.py"


def test_ingest_benchmark_smoke(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--rows", "3000", "--workdir", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("name", "rows", "ours_s", "baseline", "baseline_s", "ratio", "raw_s", "raw_ratio"):
        assert key in record
    assert record["name"] == "ingest" and record["rows"] == 3000
    # both imports applied the same checks to the same generated rows
    assert record["ours_rows_loaded"] == record["baseline_rows_kept"] == 3000
    # the baseline checked the key too (spell_id: the generated file repeats none)
    assert record["baseline_repeated_keys"] == 0
    assert record["ratio"] == pytest.approx(record["ours_s"] / record["baseline_s"], rel=0.01)
    assert record["partitions"] > 1
    assert not (tmp_path / "w").exists()  # cleaned up without --keep
