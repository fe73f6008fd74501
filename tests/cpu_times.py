"""Where the test suite's processor time goes: `pytest -p cpu_times` writes, for every test, its
wall time and the processor time of the test process and of the child processes it waited for
(a `pbc` command, a benchmark) to `$PBC_TEST_CPU_LOG/<worker>.jsonl`, and each process's total at
the end (which also counts children reaped only then: a browser, a Spark JVM).

    make test PYTEST_ARGS='-p cpu_times' PBC_TEST_CPU_LOG=/tmp/cpu
    python tests/cpu_times.py /tmp/cpu      # the tests and files that used the most
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

LOG_ENV = "PBC_TEST_CPU_LOG"


TICK = os.sysconf("SC_CLK_TCK")


def _descendants_cpu() -> float:
    """Processor time of this process's live descendants (a Spark JVM, a browser, a server),
    each with the children it reaped."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        cpu[pid] = sum(int(x) for x in fields[11:15]) / TICK
    me, total = os.getpid(), 0.0
    for pid in cpu:
        ancestor = parents.get(pid)
        while ancestor and ancestor != me:
            ancestor = parents.get(ancestor)
        if ancestor == me:
            total += cpu[pid]
    return total


def _times() -> tuple[float, float, float]:
    t = os.times()
    return (
        time.monotonic(),
        t.user + t.system,
        t.children_user + t.children_system + _descendants_cpu(),
    )


def _log_path(config: pytest.Config) -> Path | None:
    folder = os.environ.get(LOG_ENV)
    if not folder:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    lane = "postgres" if os.environ.get("DATABASE_URL") else "sqlite"
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"{lane}-{worker}-{os.getpid()}.jsonl"


def _write(config: pytest.Config, record: dict[str, Any]) -> None:
    path = _log_path(config)
    if path is not None:
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    wall, own, children = _times()
    yield
    wall2, own2, children2 = _times()
    _write(
        item.config,
        {
            "test": item.nodeid,
            "wall": round(wall2 - wall, 3),
            "cpu": round(own2 - own, 3),
            "children": round(children2 - children, 3),
        },
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    _, own, children = _times()
    _write(session.config, {"test": "(process total)", "cpu": own, "children": children})


def summary(folder: Path, top: int = 40) -> str:
    tests: dict[str, float] = defaultdict(float)
    files: dict[str, float] = defaultdict(float)
    totals: dict[str, float] = defaultdict(float)
    paths = sorted(folder.glob("*.jsonl"))
    with_workers = {p.name.split("-")[0] for p in paths if p.name.split("-")[1].startswith("gw")}
    for path in paths:
        lane, worker = path.name.split("-")[:2]
        for line in path.read_text().splitlines():
            r = json.loads(line)
            cpu = r["cpu"] + r["children"]
            if r["test"] == "(process total)":
                # pytest-xdist's controller: its children are the workers, counted already.
                totals[lane] += r["cpu"] if worker == "main" and lane in with_workers else cpu
                continue
            tests[f"{lane} {r['test']}"] += cpu
            files[f"{lane} {r['test'].split('::')[0]}"] += cpu
    out = [
        f"{lane}: {cpu:.0f} s of processor time in its test processes"
        for lane, cpu in totals.items()
    ]
    out.append(f"\nthe {top} files that used the most:")
    out += [
        f"{cpu:8.1f}  {name}" for name, cpu in sorted(files.items(), key=lambda kv: -kv[1])[:top]
    ]
    out.append(f"\nthe {top} tests that used the most:")
    out += [
        f"{cpu:8.1f}  {name}" for name, cpu in sorted(tests.items(), key=lambda kv: -kv[1])[:top]
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1])))
