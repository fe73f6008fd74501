"""The finance benchmark runs end to end on a few thousand rows and its three versions agree."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "finance.py"


def test_benchmark_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("pbc_benchmark_finance", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    record = module.main(["--rows", "5000", "--workdir", str(tmp_path)])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == record
    for key in ("name", "rows", "ours_s", "baseline", "baseline_s", "ratio", "pandas_s"):
        assert key in record
    assert record["name"] == "finance" and record["rows"] == 5000
    assert record["results_agree"] is True
    assert record["statements"] > 0
