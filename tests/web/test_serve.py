"""`pbc serve` runs several worker processes (issue 17): gunicorn, sized by --workers (one per
core by default), answering on the port it was given and stopping cleanly on SIGTERM."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pbc.config import server

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_worker_processes(tmp_path: Path) -> None:
    env = {**os.environ, "PBC_DATA_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pbc.cli", "serve", "--port", str(port), "--workers", "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/ with 3 worker processes" in line, line
        deadline = time.monotonic() + 120
        while len(server.children_of(process.pid)) < 3 and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.2)
        assert len(server.children_of(process.pid)) == 3
        for pid in [process.pid, *server.children_of(process.pid)]:  # no core dumps (8.3.6)
            limits = Path(f"/proc/{pid}/limits").read_text()
            [core] = [line for line in limits.splitlines() if line.startswith("Max core file size")]
            assert core.split()[4:6] == ["0", "0"], core
        url = f"http://127.0.0.1:{port}/accounts/login/"
        with urllib.request.urlopen(url, timeout=120) as response:
            assert response.status == 200 and response.headers["Server"] == "gunicorn"
            assert b"Sign in" in response.read()
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0


def test_workers_default_to_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PBC_WORKERS", raising=False)
    assert server.default_workers() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("PBC_WORKERS", "5")
    assert server.default_workers() == 5
