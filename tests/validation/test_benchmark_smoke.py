"""The validation benchmark runs end to end on a few thousand rows: both sides find the same
rows per rule and the last line is the JSON record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "validation.py"


def test_benchmark_smoke() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rows", "4000"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"name", "rows", "ours_s", "baseline", "baseline_s", "ratio"} <= set(last)
    assert last["name"] == "validation"
    assert 3000 <= last["rows"] <= 4000
    assert last["same_counts"] is True and last["findings"] > 100
    assert last["ours_s"] > 0 and last["baseline_s"] > 0
    assert abs(last["ratio"] / (last["ours_s"] / last["baseline_s"]) - 1) < 0.05  # rounding
