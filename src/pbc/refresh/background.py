"""`pbc refresh` started from the web (the imports page), in a thread of the web process, with
its progress in a small file of the data directory that every worker process reads.

- `start(user)`: writes the progress file ("started", by whom, no steps done), then runs the
  pipeline (`pbc.refresh.pipeline.run`, every step whose inputs changed) in a thread, each
  step's line added to the file as it completes; at the end the file says finished (or the
  error). False, starting nothing, while a refresh runs (the data directory's refresh lock is
  held, by this or any other process, or a start was just made).
- `status()`: what the progress page shows: running, the lines so far, finished or failed,
  or interrupted (the file says running but no process holds the lock: the worker stopped).

The thread's own database connection is closed when it ends.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

PROGRESS = "refresh-progress.json"
STARTING_SECONDS = 30  # a start not yet holding the lock counts as running for this long
_start_lock = threading.Lock()


@dataclass(frozen=True)
class Status:
    state: str  # "none" (never started here), "running", "finished", "failed", "interrupted"
    started_at: dt.datetime | None = None
    started_by: str = ""
    finished_at: dt.datetime | None = None
    lines: tuple[str, ...] = ()
    steps: int = 0  # how many steps the refresh has
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.state == "running"


def _path() -> Path:
    return Path(settings.DATA_DIR) / PROGRESS


def _read() -> dict[str, Any] | None:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write(data: dict[str, Any]) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{PROGRESS}.{os.getpid()}.{threading.get_ident()}")
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, path)


def lock_held() -> bool:
    """Whether a refresh holds the data directory's refresh lock now (any process)."""
    from pbc.refresh.pipeline import LOCK

    path = Path(settings.DATA_DIR) / LOCK
    if not path.exists():
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


def status() -> Status:
    from pbc.refresh.pipeline import STEPS

    data = _read()
    if data is None:
        return Status("running" if lock_held() else "none", steps=len(STEPS))
    started = _time(data.get("started_at"))
    finished = _time(data.get("finished_at"))
    error = str(data.get("error") or "")
    if finished is not None:
        state = "failed" if error else "finished"
    elif lock_held() or (
        started is not None and (timezone.now() - started).total_seconds() < STARTING_SECONDS
    ):
        state = "running"
    else:
        state = "interrupted"
    return Status(
        state,
        started_at=started,
        started_by=str(data.get("started_by") or ""),
        finished_at=finished,
        lines=tuple(str(line) for line in data.get("lines") or ()),
        steps=len(STEPS),
        error=error,
    )


def start(user: Any) -> bool:
    """Start a refresh in a thread (see the module docstring); False if one is running."""
    with _start_lock:
        if status().running:
            return False
        progress: dict[str, Any] = {
            "started_at": timezone.now().isoformat(),
            "started_by": user.get_username(),
            "lines": [],
            "finished_at": None,
            "error": "",
        }
        _write(progress)
        thread = threading.Thread(target=_work, args=(progress,), name="pbc-web-refresh")
        thread.daemon = True
        thread.start()
        _threads.append(thread)
    return True


_threads: list[threading.Thread] = []


def wait(timeout: float | None = None) -> None:
    """Wait for the refreshes this process started (for the command line and tests)."""
    for thread in list(_threads):
        thread.join(timeout)
        if not thread.is_alive():
            _threads.remove(thread)


def _work(progress: dict[str, Any]) -> None:
    from pbc.refresh.pipeline import RefreshBusy, run

    def report(line: str) -> None:
        progress["lines"].append(line.strip())
        _write(progress)

    try:
        run(None, report=report)
    except RefreshBusy as busy:
        progress["error"] = str(busy)
    except Exception as error:  # the page says what failed; the step records stand
        progress["error"] = f"{type(error).__name__}: {error}"
    finally:
        progress["finished_at"] = timezone.now().isoformat()
        _write(progress)
        connection.close()
