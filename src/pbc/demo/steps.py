"""The steps of `pbc demo`: a progress line for each, and skipping those whose inputs did not
change since they last completed in this database.

What a step's inputs are: the demo scale, and for the steps after the warehouse imports the
warehouse's state (`pbc.demo.warehouse.state`: every live partition and the import it came
from). Once a step runs, every later step runs too (what it wrote may be their input). The
synthetic data and the imports always run: they skip their own unchanged work (files whose
generator did not change, files whose checksum is already committed).

The record lives in the data directory (`demo-steps.json`) and names the database it belongs to
(`database_identity`: the demo administrator's id and creation time), so a fresh database, or
one flushed and built again, never takes another's record for its own. It also keeps how long
each step took last time, which the next build prints as its estimate, and the processor time
it used (`cpu`: user and system time of every thread, which a busy machine inflates less).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

STATE_FILE = "demo-steps.json"
ADMIN = "admin"  # pbc.demo.DEMO_ADMIN (not imported: pbc.demo imports this module)

Report = Callable[[str], None]


@dataclass(frozen=True)
class Step:
    """One step. `run(scale, report)` does it (None: the build runs it itself). `estimate` is
    seconds on 2 cores by scale, shown until the step has been timed here. An `always` step
    runs every time (it skips its own unchanged work)."""

    name: str
    run: Callable[[str, Report], None] | None
    estimate: Mapping[str, float] = field(default_factory=dict)
    always: bool = False


def database_identity() -> str | None:
    """Which database this is: its kind and name and the demo administrator's id and creation
    time (None before the demo's users exist)."""
    admin = get_user_model().objects.filter(username=ADMIN).values("pk", "date_joined").first()
    if admin is None:
        return None
    name = connection.settings_dict["NAME"]
    return f"{connection.vendor}:{name}:{admin['pk']}:{admin['date_joined'].isoformat()}"


def _path() -> Path:
    return Path(settings.DATA_DIR) / STATE_FILE


def read_state() -> dict[str, Any]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(state: dict[str, Any]) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def completed(scale: str | None, names: Sequence[str]) -> bool:
    """Whether the last build in this database (of `scale`, or of any scale when None) finished
    every one of `names`."""
    state = read_state()
    if not state.get("complete") or state.get("database") != database_identity():
        return False
    if scale is not None and state.get("scale") != scale:
        return False
    return set(names) <= set(state.get("steps", {}))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _about(seconds: float) -> str:
    if seconds >= 90:
        return f"about {round(seconds / 60)} min"
    return f"about {max(1, round(seconds))} s"


class Progress:
    """Runs the steps of one build in order, printing `[3/8] finance … (about 30 s)` before
    each and what it did after, and keeping the record up to date after every step (a build
    that stops halfway resumes at the step that did not finish)."""

    def __init__(self, scale: str, steps: Sequence[Step], *, rebuild: bool, report: Report) -> None:
        self.scale = scale
        self.steps = list(steps)
        self.report = report
        self.identity = database_identity()
        previous = read_state()
        same_database = self.identity is not None and previous.get("database") == self.identity
        self.done: dict[str, str] = (
            dict(previous.get("steps", {})) if same_database and not rebuild else {}
        )
        self.seconds: dict[str, dict[str, float]] = dict(previous.get("seconds", {}))
        self.cpu: dict[str, dict[str, float]] = dict(previous.get("cpu", {}))
        self.inputs = _digest("scale", scale)
        self.changed = rebuild or not same_database
        self.state: dict[str, Any] = {
            "database": self.identity,
            "scale": scale,
            "complete": False,
            "steps": {},
            "seconds": self.seconds,
            "cpu": self.cpu,
        }
        _write_state(self.state)

    def _label(self, step: Step) -> str:
        return f"[{self.steps.index(step) + 1}/{len(self.steps)}] {step.name}"

    def estimate(self, step: Step) -> float:
        timed = self.seconds.get(self.scale, {}).get(step.name)
        return float(timed if timed is not None else step.estimate.get(self.scale, 10))

    @contextlib.contextmanager
    def step(self, step: Step) -> Iterator[Callable[[str], None]]:
        """Run a step's body (the `with` block): a line before, a line after with `done(text)`'s
        text and the time taken; then the step is recorded as done with the current inputs."""
        label = self._label(step)
        self.report(f"{label} … ({_about(self.estimate(step))})")
        said: list[str] = []
        started, cpu_started = time.monotonic(), time.process_time()
        yield said.append
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
        self.report(f"{label}: {'; '.join(said) or 'done'} ({seconds:.1f} s, CPU {cpu:.1f} s)")
        self.seconds.setdefault(self.scale, {})[step.name] = round(seconds, 1)
        self.cpu.setdefault(self.scale, {})[step.name] = round(cpu, 1)
        self.state["steps"][step.name] = self.inputs
        _write_state(self.state)

    def run(self, step: Step) -> None:
        """Run `step` unless it completed before with the same inputs and nothing before it ran."""
        assert step.run is not None
        if not self.changed and self.done.get(step.name) == self.inputs:
            self.report(f"{self._label(step)}: unchanged since the last build, skipped")
            self.state["steps"][step.name] = self.inputs
            _write_state(self.state)
            return
        with self.step(step):
            step.run(self.scale, lambda text: self.report(f"    {text}"))
        self.changed = True

    def will_run(self, step: Step) -> bool:
        """Whether `step` will run when its turn comes (as far as can be told now: it runs
        when anything changed, or when it or any step between here and it is not recorded as
        done with the current inputs)."""
        if self.changed:
            return True
        later = self.steps[self.steps.index(step) :]
        before = [s for s in self.steps if s not in later and s.name not in self.state["steps"]]
        return any(self.done.get(s.name) != self.inputs for s in (*before, step))

    def inputs_changed(self, value: str) -> None:
        """Fold `value` (e.g. the warehouse's state) into the inputs of the steps after."""
        self.inputs = _digest(self.inputs, value)

    def finish(self) -> None:
        self.state["complete"] = True
        _write_state(self.state)
