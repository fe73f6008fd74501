"""What pages read from the refresh record: `staleness(step)`, plain data.

A step's figures are older than their inputs when, since its last completed run, the warehouse
datasets it reads changed (an import committed: named, with its file and time) or a step it
comes after completed with other inputs (e.g. findings refreshed, statements not yet). A refresh
killed between steps leaves exactly that; the next `pbc refresh` completes the missing steps.

Of what a step reads from the app database, pages see only what the step's `news` can tell
cheaply (challenge recoveries agreed since the statements; values entered by hand since the
indicators); other changes (a contract's value, a sign-up) are not checked on pages (that would
mean recomputing those inputs on every page view), but the next refresh sees them and reruns the
step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from pbc.refresh import results
from pbc.refresh.pipeline import BY_NAME, last_completed
from pbc.warehouse import state


@dataclass(frozen=True)
class Staleness:
    """The step's figures, computed at `computed_at`, are older than `causes` (each a phrase:
    "the import of apc.csv into apc on 6 December 2026 at 19:30")."""

    step: str
    title: str
    computed_at: dt.datetime
    causes: tuple[str, ...]

    @property
    def text(self) -> str:
        return (
            f"These figures were computed on {when(self.computed_at)}, before "
            f"{_join(self.causes)}: "
            "run pbc refresh to bring them up to date."
        )


def when(at: dt.datetime) -> str:
    """6 December 2026 at 19:30 (local time)."""
    local = timezone.localtime(at)
    return f"{local.day} {local:%B %Y at %H:%M}"


def _join(parts: tuple[str, ...]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def staleness(step: str) -> Staleness | None:
    """Why the figures of `step` ("finance", "validation", "indicators") are older than their
    inputs, or None when they are not (or when the step never completed: there are no figures
    of its own to date). The datasets' digests (every manifest read) are worked out once per
    process and data state (`pbc.refresh.results.remembered`: an import changes it)."""
    declared = BY_NAME[step]
    last = last_completed(step)
    if last is None or last.completed_at is None:
        return None
    causes: list[str] = []
    now = results.remembered(
        f"digests {step}", lambda: state.digests(declared.datasets, settings.DATA_DIR)
    )
    changed = sorted(name for name, value in now.items() if last.datasets.get(name) != value)
    if changed:
        named: set[str] = set()
        for commit in state.imports_since(changed, last.completed_at, settings.DATA_DIR):
            source = f"{commit.source_name} into " if commit.source_name else ""
            causes.append(f"the import of {source}{commit.dataset} on {when(commit.at)}")
            named.add(commit.dataset)
        causes += [f"a change to {name}" for name in changed if name not in named]
    for before in declared.after:
        upstream = last_completed(before)
        if (
            upstream is not None
            and upstream.completed_at is not None
            and upstream.inputs != last.upstream.get(before)
        ):
            causes.append(f"the {BY_NAME[before].title} of {when(upstream.completed_at)}")
    causes += declared.news(last.completed_at)
    if not causes:
        return None
    return Staleness(step, declared.title, last.completed_at, tuple(causes))


def stale_steps() -> list[Staleness]:
    """Every step whose figures are older than their inputs, in pipeline order (what the
    imports pages list after an import: the refresh it calls for)."""
    from pbc.refresh.pipeline import ordered

    return [s for s in (staleness(step.name) for step in ordered()) if s is not None]
