"""`pbc serve` forbids dumps of its memory (ASVS 8.3.6): no core file, and the process is not
dumpable, so another process of the same user cannot attach to it or read /proc/PID/mem.
Checked in a fresh process (the setting cannot be undone in this one)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import ctypes, resource
from pbc.config.server import forbid_memory_dumps
PR_GET_DUMPABLE = 3
libc = ctypes.CDLL(None)
print(libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), resource.getrlimit(resource.RLIMIT_CORE))
forbid_memory_dumps()
print(libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), resource.getrlimit(resource.RLIMIT_CORE))
"""


def test_serving_processes_cannot_be_dumped() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    before, after = done.stdout.splitlines()
    assert before.startswith("1 ")  # an ordinary process is dumpable
    assert after == "0 (0, 0)"
