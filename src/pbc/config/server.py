"""The production web server `pbc serve` runs: gunicorn, one worker process per core.

Why gunicorn: it is maintained, packaged on PyPI and in Debian, the server Django's deployment
guide names first, and it runs several worker *processes*. pbc's heavy pages spend their time in
Python and DuckDB holding the interpreter lock, so threads in one process (waitress, before)
queue behind each other; processes use every core. Each worker also has a few threads, so that a
page waiting on the database or the disk does not hold a core idle.

The app is loaded once in the master process before the workers are forked (`preload_app`): the
first request in each worker does not pay for importing Django, pandas and Ibis, and the
database connections opened by the start-up steps (migrations, import recovery) are closed
before the fork, so no two processes share one.

Before serving, the process forbids dumps of its memory (`forbid_memory_dumps`, ASVS 8.3.6): no
core file, and no other process of the same user may attach a debugger or read its memory
(Linux `prctl(PR_SET_DUMPABLE, 0)`); the workers, forked from it, inherit both. Python cannot
overwrite the patient rows, passwords and keys it has finished with (strings are immutable,
freed memory is not cleared), so pbc keeps them from being copied out of memory instead.

Proxy headers are left to Django (settings `PBC_TRUST_PROXY`, pbc.signin.addresses): gunicorn is
told to trust no forwarded header itself.
"""

from __future__ import annotations

import ctypes
import gc
import os
import resource
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

THREADS_PER_WORKER = 4
# A board pack's PDF can take tens of seconds on a loaded machine before it is stored: a worker
# is restarted only when it stops answering the master for this long, not for a slow page.
WORKER_TIMEOUT_SECONDS = 300


def cores() -> int:
    """The cores this process may run on (the container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """`PBC_WORKERS`, or one worker process per core."""
    configured = os.environ.get("PBC_WORKERS", "").strip()
    return int(configured) if configured else cores()


PR_SET_DUMPABLE = 4  # linux/prctl.h


def forbid_memory_dumps() -> None:
    """No core file of this process or its children, and (Linux) no ptrace attach or
    /proc/PID/mem read by other processes of the same user."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a server's workers; Linux `/proc`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, application: Callable[..., Any], options: dict[str, Any]) -> None:
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable[..., Any]:
        return self.application


def serve(
    application: Callable[..., Any],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int = THREADS_PER_WORKER,
) -> None:
    """Serve `application` until stopped (SIGTERM or Ctrl-C: workers finish their requests)."""
    from django.db import connections

    connections.close_all()  # the workers open their own
    forbid_memory_dumps()
    # The objects made while loading the app (Django, pandas, Ibis: about 240,000) are moved out
    # of the garbage collector's view before the workers are forked: a full collection no longer
    # walks them on every request that makes many objects (unpickling a stored statement took
    # 15-20 ms with them and 5-10 ms without), and the workers keep sharing their memory pages
    # with the master instead of copying them when the collector touches them.
    gc.freeze()
    try:
        _run(application, host=host, port=port, workers=workers, threads=threads)
    finally:
        gc.unfreeze()  # objects are freed at exit as usual (nanobind reports frozen ones leaked)


def _run(
    application: Callable[..., Any], *, host: str, port: int, workers: int, threads: int
) -> None:
    _Server(
        application,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "preload_app": True,
            "timeout": WORKER_TIMEOUT_SECONDS,
            "graceful_timeout": 5,
            "forwarded_allow_ips": "",
            "secure_scheme_headers": {},
            "proc_name": "pbc",
            "accesslog": None,
            "loglevel": "warning",
        },
    ).run()
