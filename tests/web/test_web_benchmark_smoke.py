"""benchmarks/web.py runs end to end on the run's test-scale demo site, which it serves, and prints
its JSON record: signed-in users of every role got every page, with no error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from web.conftest import DEMO_SITE_GROUP, site_env

pytestmark = pytest.mark.slow

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "web.py"


@pytest.mark.xdist_group(DEMO_SITE_GROUP)
@pytest.mark.django_db  # the session's demo (`demo_site` copies it) is built in the test database
@pytest.mark.any_database  # ... on SQLite only: the site it serves is on SQLite
def test_web_benchmark_smoke(demo_site: Path) -> None:
    env = site_env(demo_site)  # the run's test-scale demo site, on SQLite (tests/web/conftest.py)
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARK),
            "--data-dir",
            str(demo_site),
            "--users",
            "5",
            "--seconds",
            "2",
            "--max-requests",
            "30",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("name", "users", "workers", "p50_s", "p95_s", "errors", "baseline_s", "ratio"):
        assert key in record
    assert record["name"] == "web" and record["users"] == 5
    assert record["workers"] == len(os.sched_getaffinity(0))
    # every page answered 200 to its role, first, alone and under load
    errors = record["first_errors"], record["error_samples"]
    assert record["first_errors"] == [] and record["baseline_errors"] == 0, errors
    assert record["errors"] == 0 and 0 < record["requests"] <= 30, errors
    assert len(record["first_s"]) >= 15  # each role's pages, the board pack in three formats
    assert any("format=pdf" in page for page in record["first_s"])
