"""`pbc demo` skips what did not change: a step that completed in this database with the same
inputs (the scale, the warehouse's state, the earlier steps) is not run again; `--rebuild` runs
every step (`pbc.demo.steps`). The whole demo built twice, and a third time with nothing left
to do, is tested end to end in tests/web/test_browser_demo.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import override_settings

from pbc import demo
from pbc.demo import steps

pytestmark = pytest.mark.django_db


def recording_steps(calls: list[str]) -> list[steps.Step]:
    def step(name: str) -> steps.Step:
        def run(scale: str, report: Callable[[str], None]) -> None:
            calls.append(name)

        return steps.Step(name, run, {"test": 1})

    return [step("first"), step("second"), step("third")]


def build(calls: list[str], warehouse: str, rebuild: bool = False) -> list[str]:
    """Run the three recording steps, the warehouse's state folded in after the first."""
    lines: list[str] = []
    first, *rest = recording_steps(calls)
    progress = steps.Progress("test", [first, *rest], rebuild=rebuild, report=lines.append)
    progress.run(first)
    progress.inputs_changed(warehouse)
    for step in rest:
        progress.run(step)
    progress.finish()
    return lines


def test_steps_run_when_their_inputs_change_and_all_run_on_rebuild(tmp_path: Path) -> None:
    calls: list[str] = []
    with override_settings(DATA_DIR=tmp_path):
        lines = build(calls, "warehouse 1")
        assert calls == ["first", "second", "third"]
        assert lines[0] == "[1/3] first … (about 1 s)"  # the estimate before the step
        assert lines[1].startswith("[1/3] first: done (")
        assert steps.completed("test", ["first", "second", "third"])

        calls.clear()
        lines = build(calls, "warehouse 1")
        assert calls == []  # nothing changed
        assert lines[0] == "[1/3] first: unchanged since the last build, skipped"

        build(calls, "warehouse 2")  # new data in the warehouse: the steps after it run
        assert calls == ["second", "third"]

        calls.clear()
        build(calls, "warehouse 2", rebuild=True)  # pbc demo --rebuild
        assert calls == ["first", "second", "third"]


def test_a_step_that_failed_runs_again_with_every_step_after_it(tmp_path: Path) -> None:
    calls: list[str] = []

    def fail(scale: str, report: Callable[[str], None]) -> None:
        raise RuntimeError("stopped halfway")

    with override_settings(DATA_DIR=tmp_path):
        build(calls, "warehouse 1")
        first, _second, third = recording_steps(calls)
        failing = steps.Step("second", fail, {})
        progress = steps.Progress("test", [first, failing, third], rebuild=True, report=print)
        progress.run(first)
        with pytest.raises(RuntimeError):
            progress.run(failing)
        assert not steps.completed("test", ["first", "second", "third"])

        calls.clear()
        build(calls, "warehouse 1")
        assert calls == ["second", "third"]


def test_another_database_does_not_take_the_record_for_its_own(tmp_path: Path) -> None:
    import datetime as dt

    from django.contrib.auth import get_user_model

    calls: list[str] = []
    with override_settings(DATA_DIR=tmp_path):
        build(calls, "warehouse 1")
        # A database built afresh has an administrator created at another time.
        admins = get_user_model().objects.filter(username=demo.DEMO_ADMIN)
        admins.update(date_joined=dt.datetime(2009, 1, 1, tzinfo=dt.UTC))
        assert not steps.completed("test", ["first", "second", "third"])
        calls.clear()
        build(calls, "warehouse 1")
        assert calls == ["first", "second", "third"]
