"""`pbc refresh`: one pipeline over a declared list of steps with their dependencies.

The steps (`STEPS`) and what each comes after:

- `validation` (validation findings): the rules over the warehouse, findings stored;
- `finance` (costing and statements), after `validation`: it credits the agreed challenge
  recoveries of the findings (`pbc.validation.finance.agreed_recoveries`), so it reads what the
  validation step stores;
- `indicators`: every indicator over the warehouse, the hand-entered values and the services
  app's data; it reads neither findings nor statements.

`run(month)` runs them in dependency order (`ordered`). The month is parsed once, by the caller
(`pbc.periods.parse_month`); each step says which month its run covers (`Step.scope`): finance
one report month (default: the latest month with admitted patient care), findings and
indicators that month, or every month (None).

Before a step runs, its inputs are digested: the warehouse state of the datasets it reads
(`pbc.warehouse.state`), what it reads from the app database (its module's `app_inputs`), its
month, and the inputs of the steps it comes after. A step whose last completed run had the same
month and inputs is skipped (unless `force`). Each run is recorded (`StepRun`): started, then
completed, so a refresh killed between steps leaves the later steps with their older record,
which pages show as older than its inputs (`pbc.refresh.queries.staleness`), and the next
refresh completes them.

Test hook: with `PBC_REFRESH_PAUSE` naming a step, the refresh writes `pbc-refresh-paused:STEP`
to stderr once that step's completion is recorded, and blocks until it is killed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from pbc.refresh.inputs import digest
from pbc.refresh.models import StepRun
from pbc.warehouse import state, store

LOCK = "refresh.lock"  # in the data directory: held by the refresh that is running
PAUSE_ENV = "PBC_REFRESH_PAUSE"
PAUSE_MESSAGE = "pbc-refresh-paused:"

Report = Callable[[str], None]


@dataclass(frozen=True)
class Step:
    """One step. `scope(month)` is the month its run covers (None: every month);
    `app_inputs(scope)` digests what it reads from the app database; `run(scope)` does it and
    returns its result, which `describe` puts in words. A step that needs patient-level activity
    (`activity`) is skipped, saying so, when the warehouse holds none and no month was given.
    `news(since)` says, cheaply enough for a page, what changed in the app database since a run
    (phrases such as "a challenge recovery agreed on …"); it need not see every change."""

    name: str
    title: str
    after: tuple[str, ...]
    datasets: tuple[str, ...]
    scope: Callable[[dt.date | None], dt.date | None]
    app_inputs: Callable[[dt.date | None], str]
    run: Callable[[dt.date | None], Any]
    describe: Callable[[Any], str]
    activity: bool = True
    news: Callable[[dt.datetime], list[str]] = lambda since: []


# --- the steps ------------------------------------------------------------------------------------


def _same(month: dt.date | None) -> dt.date | None:
    return month


def _finance_scope(month: dt.date | None) -> dt.date | None:
    from pbc.finance.refresh import report_month_of

    return report_month_of(month)


def _finance_inputs(month: dt.date | None) -> str:
    from pbc.finance.refresh import app_inputs

    assert month is not None
    return app_inputs(month)


def _finance_news(since: dt.datetime) -> list[str]:
    from pbc.refresh.queries import when
    from pbc.validation.queries import recoveries_agreed_since

    n, latest = recoveries_agreed_since(since)
    if not n or latest is None:
        return []
    if n == 1:
        return [f"a challenge recovery agreed on {when(latest)}"]
    return [f"{n} challenge recoveries agreed (the latest on {when(latest)})"]


def _finance_run(month: dt.date | None) -> Any:
    from pbc.finance.refresh import refresh

    return refresh(month)


def _finance_describe(run: Any) -> str:
    return f"{run.facts:,} facts for {run.month:%Y-%m}, {run.rows_costed:,} rows costed"


def _validation_inputs(month: dt.date | None) -> str:
    from pbc.validation.refresh import app_inputs

    return app_inputs(month)


def _validation_run(month: dt.date | None) -> Any:
    from pbc.validation.refresh import refresh

    return refresh(month)


def _validation_describe(r: Any) -> str:
    return (
        f"{r.created:,} new, {r.updated:,} updated, {r.unchanged:,} unchanged, "
        f"{r.no_longer_flagged:,} no longer flagged"
    )


def _indicators_inputs(month: dt.date | None) -> str:
    from pbc.indicators.refresh import app_inputs

    return app_inputs(month)


def _indicators_news(since: dt.datetime) -> list[str]:
    from pbc.indicators.queries import values_entered_since
    from pbc.refresh.queries import when

    n, latest = values_entered_since(since)
    if not n or latest is None:
        return []
    if n == 1:
        return [f"a value entered by hand on {when(latest)}"]
    return [f"{n} values entered by hand (the latest on {when(latest)})"]


def _indicators_run(month: dt.date | None) -> Any:
    from pbc.indicators.refresh import refresh

    return refresh(month)


def _indicators_describe(r: Any) -> str:
    return f"{r.values:,} values of {r.indicators} indicators over {len(r.months)} months"


def _datasets(module: str) -> tuple[str, ...]:
    import importlib

    return tuple(importlib.import_module(module).DATASETS)


def _steps() -> tuple[Step, ...]:
    return (
        Step(
            name="validation",
            title="validation findings",
            after=(),
            datasets=_datasets("pbc.validation.refresh"),
            scope=_same,
            app_inputs=_validation_inputs,
            run=_validation_run,
            describe=_validation_describe,
        ),
        Step(
            name="finance",
            title="costing and statements",
            after=("validation",),  # it credits the findings' agreed recoveries
            datasets=_datasets("pbc.finance.refresh"),
            scope=_finance_scope,
            app_inputs=_finance_inputs,
            run=_finance_run,
            describe=_finance_describe,
            news=_finance_news,
        ),
        Step(
            name="indicators",
            title="indicators",
            after=(),
            datasets=_datasets("pbc.indicators.refresh"),
            scope=_same,
            app_inputs=_indicators_inputs,
            run=_indicators_run,
            describe=_indicators_describe,
            activity=False,  # aggregate data (QOF, RTT returns, A&E) feeds them too
            news=_indicators_news,
        ),
    )


STEPS: tuple[Step, ...] = _steps()
BY_NAME = {s.name: s for s in STEPS}


def ordered(steps: Sequence[Step] = STEPS) -> list[Step]:
    """`steps` in an order where every step comes after the steps it names in `after`
    (otherwise in the order given); ValueError for an unknown name or a cycle."""
    names = {s.name for s in steps}
    for s in steps:
        unknown = set(s.after) - names
        if unknown:
            raise ValueError(f"step {s.name!r} comes after unknown steps {sorted(unknown)}")
    out: list[Step] = []
    placed: set[str] = set()
    while len(out) < len(steps):
        ready = [s for s in steps if s.name not in placed and set(s.after) <= placed]
        if not ready:
            left = sorted(s.name for s in steps if s.name not in placed)
            raise ValueError(f"the steps {left} depend on each other in a cycle")
        out.append(ready[0])
        placed.add(ready[0].name)
    return out


# --- the record -----------------------------------------------------------------------------------


def last_completed(step: str) -> StepRun | None:
    return (
        StepRun.objects.filter(step=step, completed_at__isnull=False)
        .order_by("-completed_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class Inputs:
    month: dt.date | None
    datasets: dict[str, str]
    upstream: dict[str, str]
    digest: str


def inputs_of(step: Step, month: dt.date | None, upstream: dict[str, str]) -> Inputs:
    """What `step` would read for a run covering `month`, after upstream steps with `upstream`
    inputs."""
    datasets = state.digests(step.datasets, settings.DATA_DIR)
    app = step.app_inputs(month)
    return Inputs(
        month,
        datasets,
        dict(upstream),
        digest(step.name, month, datasets, app, sorted(upstream.items())),
    )


@dataclass(frozen=True)
class Outcome:
    step: str
    title: str
    month: dt.date | None
    status: str  # "ran", "unchanged" (skipped) or "no activity" (skipped)
    text: str
    seconds: float


def _activity_in_warehouse() -> bool:
    from pbc.finance.refresh import latest_activity_month
    from pbc.warehouse import engine as wh

    return latest_activity_month(wh.connect()) is not None


class RefreshBusy(Exception):
    """Another refresh is running in this data directory."""


@contextlib.contextmanager
def one_at_a_time() -> Iterator[None]:
    """Hold the data directory's refresh lock, or raise `RefreshBusy` at once: two refreshes
    at the same time would each record steps the other may be recomputing."""
    path = Path(settings.DATA_DIR) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RefreshBusy(
                "another pbc refresh is running in this data directory: wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(
    month: dt.date | None = None,
    *,
    force: bool = False,
    report: Report | None = None,
    steps: Sequence[Step] = STEPS,
) -> list[Outcome]:
    """Run the refresh for `month` (None: each step's default); each step is skipped when its
    last completed run had the same month and inputs, unless `force`. Returns what each did
    (and `report`s a line for each as it goes). Raises `RefreshBusy` while another refresh
    runs in the same data directory."""
    with one_at_a_time():
        return _run(month, force=force, report=report, steps=steps)


def _run(
    month: dt.date | None, *, force: bool, report: Report | None, steps: Sequence[Step]
) -> list[Outcome]:
    patient_level = month is not None or _activity_in_warehouse()
    done: dict[str, str] = {}
    outcomes: list[Outcome] = []
    started = time.monotonic()

    def say(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if report is not None:
            report(f"  {outcome.title}: {outcome.text} ({time.monotonic() - started:.1f}s)")

    for step in ordered(steps):
        if step.activity and not patient_level:
            text = "skipped (no admitted patient care activity in the warehouse)"
            say(Outcome(step.name, step.title, None, "no activity", text, 0.0))
            continue
        scope = step.scope(month)
        upstream = {name: done[name] for name in step.after if name in done}
        inputs = inputs_of(step, scope, upstream)
        done[step.name] = inputs.digest
        last = last_completed(step.name)
        if (
            not force
            and last is not None
            and last.month == scope
            and last.inputs == inputs.digest
            and last.completed_at is not None
        ):
            when = timezone.localtime(last.completed_at)
            text = f"unchanged since {when:%Y-%m-%d %H:%M:%S}, skipped"
            say(Outcome(step.name, step.title, scope, "unchanged", text, 0.0))
            continue
        began = time.monotonic()
        text = step.describe(_execute(step, inputs, forced=force))
        say(Outcome(step.name, step.title, scope, "ran", text, time.monotonic() - began))
        store.pause_if_asked(PAUSE_ENV, PAUSE_MESSAGE, step.name)
    return outcomes


def _execute(step: Step, inputs: Inputs, *, forced: bool = False) -> Any:
    """Run `step` over `inputs.month`, recording its start and its completion."""
    record = StepRun.objects.create(
        step=step.name,
        month=inputs.month,
        inputs=inputs.digest,
        datasets=inputs.datasets,
        upstream=inputs.upstream,
        forced=forced,
        started_at=timezone.now(),
    )
    result = step.run(inputs.month)
    record.completed_at = timezone.now()
    record.result = step.describe(result)
    record.save(update_fields=["completed_at", "result"])
    return result


def run_step(name: str, month: dt.date | None = None) -> Any:
    """Run one step now, recorded as the pipeline records it, taking the steps it comes after
    as their last completed runs left them; returns the step's result. `pbc demo` builds with
    this (its own step order puts a step's upstream steps first)."""
    step = BY_NAME[name]
    upstream = {}
    for before in step.after:
        last = last_completed(before)
        if last is not None:
            upstream[before] = last.inputs
    with one_at_a_time():
        return _execute(step, inputs_of(step, step.scope(month), upstream))
