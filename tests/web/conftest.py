"""A test-scale demo site built by `pbc demo` in a data directory of its own, once per run, for
the tests that serve it in child processes (the browser demo and the web benchmark's smoke test:
both are in the xdist group `DEMO_SITE_GROUP`, so one worker builds it for both)."""

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
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of a demo built from nothing by `pbc demo --scale test`."""
    data_dir = tmp_path_factory.mktemp("demo-site") / "var"
    assert not data_dir.exists()
    out = pbc_demo(site_env(data_dir))
    assert "building the demo (test scale)" in out
    assert (data_dir / "pbc.sqlite3").exists()
    return data_dir
