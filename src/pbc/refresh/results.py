"""Results of heavy pages, computed once and shared by every worker process of `pbc serve`.

A heavy page (the board pack and its PDF and XLSX, inequalities, registers, a provider's
contracts) computes its figures through `stored(...)`: the result is kept in the data
directory's result store (Django's file cache in `<PBC_DATA_DIR>/cache/results`, shared by the
worker processes) under a key made of

- what it is (e.g. "board pack pdf") and its other inputs (e.g. the month),
- the organisation it describes (model and primary key): a result is never looked up under
  another organisation's key, and the views call `stored` only after their access rule
  (`pbc.web.rules.requires`) has checked the user's permission for that organisation;
- the data's state (`data_state`): the latest completion of a refresh step (`StepRun`), the
  latest import, and a token rewritten after every committed change to pbc's own records
  (a milestone update, a challenge decision, a budget: any `save()` of a pbc model, and the few
  bulk writes users make, which call `changed()`).

So a refresh, an import or an edit makes every stored result stale at once; the next request
computes it again, and the results of older states expire on their own (a week) or are culled.
The store holds aggregates only (what the pages show), as the database does; it is pickled files
in the data directory, trusted as the database is, and not copied by `pbc backup`.

Each worker process also keeps the results it used last, already unpickled (`RECENT_IN_PROCESS`
of them, under the same keys): unpickling a PCT's statement took 15-20 ms, most of a page's
processor time. A result handed out this way is shared by the requests of that process, so
pages only read it (every caller builds its page from it and changes nothing in it).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from django.apps import apps as django_apps
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache
from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
KEEP_SECONDS = 7 * 24 * 3600
MAX_ENTRIES = 2000
_MISSING = object()
# Records whose saves are not content: the audit log, sessions and sign-in records, and the
# refresh's own run records (their completions are part of the state already).
NOT_CONTENT = {"orgs.auditevent", "refresh.steprun"}
NOT_CONTENT_APPS = {"signin"}
# Tables a refresh step empties and fills again in bulk: the step's completion marks the results
# stale. A delete receiver on them would make Django fetch every row before a bulk delete and
# call the receiver per row (minutes for an indicator refresh), so they have none.
REWRITTEN_BY_REFRESH = {
    "indicators.indicatorvalue",
    "indicators.watchpathway",
    "finance.spendfact",
    "finance.prescribingchange",
    "population.riskscore",
}


def store() -> FileBasedCache:
    """The result store of this data directory (read from the settings at each use, so that a
    test's own data directory has its own)."""
    location = Path(settings.DATA_DIR) / "cache" / "results"
    return FileBasedCache(
        str(location), {"TIMEOUT": KEEP_SECONDS, "OPTIONS": {"MAX_ENTRIES": MAX_ENTRIES}}
    )


def changes_file() -> Path:
    return Path(settings.DATA_DIR) / "cache" / "changes"


def _write_token() -> None:
    path = changes_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"changes.{os.getpid()}.{secrets.token_hex(4)}")
    temporary.write_text(f"{time.time_ns()}-{secrets.token_hex(8)}", encoding="utf-8")
    os.replace(temporary, path)


def changed() -> None:
    """Mark the stored results stale: at once, and again when the current transaction commits
    (a result another process computed meanwhile from the uncommitted state is then not used).
    Within one transaction the token is written once, however many records change; the
    transaction's own changes are counted (`_Commit`), so that what it reads after a change is
    keyed by that transaction and change, never shared with another transaction."""
    memo = _request_state.get()
    if memo is not None:
        memo.clear()
    if not connection.in_atomic_block:
        _write_token()
        return
    commit = _open_commit()
    if commit is None:
        _write_token()
        commit = _Commit()
        transaction.on_commit(commit)
    commit.changes += 1


class _Commit:
    """What the open transaction changed: a random tag and how many changes. Called when the
    transaction commits (it writes the token); a rolled-back transaction's is dropped with it."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(8)
        self.changes = 0

    def __call__(self) -> None:
        _write_token()

    @property
    def state(self) -> str:
        return f"{self.tag}.{self.changes}"


def _open_commit() -> _Commit | None:
    for callback in connection.run_on_commit:
        if isinstance(callback[1], _Commit):
            return callback[1]
    return None


def _is_content(model: Any) -> bool:
    meta = model._meta
    return (
        model.__module__.startswith("pbc.")
        and meta.label_lower not in NOT_CONTENT
        and meta.app_label not in NOT_CONTENT_APPS
    )


def _on_save(sender: Any, **kwargs: Any) -> None:
    if _is_content(sender):
        changed()


def connect_signals() -> None:
    """Every pbc model's save and delete marks the results stale, except the tables a refresh
    rewrites in bulk (its step completion does the same). Delete receivers are connected per
    model, so that Django still deletes the other tables' rows in bulk."""
    post_save.connect(_on_save, dispatch_uid="pbc.refresh.results.save")
    request_started.connect(_request_began, dispatch_uid="pbc.refresh.results.request_started")
    request_finished.connect(_request_ended, dispatch_uid="pbc.refresh.results.request_finished")
    for model in django_apps.get_models():
        if _is_content(model) and model._meta.label_lower not in REWRITTEN_BY_REFRESH:
            post_delete.connect(
                _on_save,
                sender=model,
                dispatch_uid=f"pbc.refresh.results.delete.{model._meta.label_lower}",
            )


# Within one request the data state is read once (a page may look up several stored results),
# and again after the request changes anything (`changed`). Outside a request (commands, the
# refresh's thread, tests between requests) it is read every time.
_request_state: ContextVar[dict[str, str] | None] = ContextVar("pbc_request_state", default=None)


def _request_began(**kwargs: Any) -> None:
    _request_state.set({})


def _request_ended(**kwargs: Any) -> None:
    _request_state.set(None)


def data_state() -> str:
    memo = _request_state.get()
    if memo is not None:
        if "state" not in memo:
            memo["state"] = _read_data_state()
        return memo["state"]
    return _read_data_state()


def remembered(what: str, compute: Callable[[], T]) -> T:
    """`compute()` once per process and data state: for small results every page reads that do
    not belong to one organisation (how stale a step's figures are)."""
    key = (what, f"{settings.DATA_DIR}|{data_state()}")
    if key not in _remembered:
        if len(_remembered) >= MAX_REMEMBERED:
            _remembered.clear()
        _remembered[key] = compute()
    return _remembered[key]  # type: ignore[no-any-return]


_remembered: dict[tuple[str, str], Any] = {}
MAX_REMEMBERED = 64


def _read_data_state() -> str:
    from pbc.imports.queries import latest_import
    from pbc.refresh.models import StepRun

    refreshed = StepRun.objects.filter(completed_at__isnull=False).aggregate(
        latest=Max("completed_at"), last=Max("pk")
    )
    imported = latest_import()
    try:
        token = changes_file().read_text(encoding="utf-8")
    except OSError:
        token = ""
    commit = _open_commit() if connection.in_atomic_block else None
    pending = commit.state if commit is not None else ""
    return f"{refreshed['latest']}|{refreshed['last']}|{imported}|{token}|{pending}"


def key_of(what: str, organisation: Any, *inputs: object) -> str:
    org = f"{organisation._meta.label_lower}:{organisation.pk}"
    parts = [what, org, *(str(value) for value in inputs), data_state()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def stored(what: str, organisation: Any, compute: Callable[[], T], *inputs: object) -> T:
    """The result of `compute()` for `organisation` and `inputs` in the current data state,
    computed at most once per state (per worker process at worst, when two ask at once).

    Call it only after the user's permission for `organisation` has been checked."""
    key = key_of(what, organisation, *inputs)
    recent = _recent_result(key)
    if recent is not _MISSING:
        return recent  # type: ignore[no-any-return]
    cache = store()
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        found = compute()
        cache.set(key, found)
    _keep_recent(key, found)
    return found  # type: ignore[no-any-return]


RECENT_IN_PROCESS = 32
_recent: OrderedDict[tuple[str, str], Any] = OrderedDict()
_recent_lock = threading.Lock()


def _recent_result(key: str) -> Any:
    """This process's unpickled copy of the result under `key` in this data directory, or
    `_MISSING`."""
    with _recent_lock:
        found = _recent.get((str(settings.DATA_DIR), key), _MISSING)
        if found is not _MISSING:
            _recent.move_to_end((str(settings.DATA_DIR), key))
        return found


def _keep_recent(key: str, result: Any) -> None:
    with _recent_lock:
        _recent[(str(settings.DATA_DIR), key)] = result
        while len(_recent) > RECENT_IN_PROCESS:
            _recent.popitem(last=False)
