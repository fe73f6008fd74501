"""A real ClamAV daemon (Debian's clamav-daemon, `make test` installs it) for the tests, with one
signature of its own instead of the downloaded databases (no network): it finds the EICAR
test string, as every antivirus does. `clamd(folder)` starts it and yields its socket."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CLAMD = "/usr/sbin/clamd"
# The antivirus test file (eicar.org): harmless, and every scanner reports it.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!H+H*"
SIGNATURE = "Pbc.Test.EICAR"
FOUND = f"{SIGNATURE}.UNOFFICIAL"  # clamd's name for a signature of a local database


@contextmanager
def clamd(folder: Path) -> Iterator[str]:
    if not os.access(CLAMD, os.X_OK):
        pytest.fail(f"{CLAMD} is missing: `make test` installs Debian's clamav-daemon")
    (folder / "db").mkdir(parents=True)
    marker = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE".hex()
    (folder / "db" / "pbc-test.ndb").write_text(f"{SIGNATURE}:0:*:{marker}\n")
    socket_path = folder / "clamd.sock"
    (folder / "clamd.conf").write_text(
        f"LocalSocket {socket_path}\n"
        f"DatabaseDirectory {folder / 'db'}\n"
        "Foreground yes\n"
        "StreamMaxLength 200M\n"
        f"LogFile {folder / 'clamd.log'}\n"
    )
    process = subprocess.Popen(
        [CLAMD, "-c", str(folder / "clamd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not socket_path.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "clamd did not start in 60 s"
            time.sleep(0.1)
        yield str(socket_path)
    finally:
        process.terminate()
        process.wait(timeout=30)
