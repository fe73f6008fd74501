"""A test-scale demo site in a data directory of its own, once per run, for the tests that serve
it in child processes (the browser demo and the web benchmark's smoke test: both are in the
xdist group `DEMO_SITE_GROUP`, so one worker makes it for both)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DEMO_SITE_GROUP = "demo_site"


def site_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PBC_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite in the data directory
    return env


def pbc_demo(env: dict[str, str], *args: str) -> str:
    built = subprocess.run(
        [sys.executable, "-m", "pbc.cli", "demo", "--scale", "test", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    assert "Demo logins" in built.stdout
    return built.stdout


@pytest.fixture(scope="session")
def demo_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of a test-scale demo site: a copy of the session's demo as built
    (`shared_demo`, on SQLite: the same `pbc.demo.build` that `pbc demo` runs), with its own
    SQLite database as `pbc` makes one. When the run is on PostgreSQL, built from nothing by
    `pbc demo --scale test` instead."""
    from django.db import connections

    import demo_snapshot

    data_dir = tmp_path_factory.mktemp("demo-site") / "var"
    if connections["default"].vendor == "sqlite":
        demo_snapshot.copy_site(request.getfixturevalue("shared_demo"), data_dir)
    else:
        out = pbc_demo(site_env(data_dir))
        assert "building the demo (test scale)" in out
    assert (data_dir / "pbc.sqlite3").exists()
    return data_dir
