"""The demo's measures of the seed plans: `measures.yaml` declares, for every expected outcome
of both plans (and the milestones that state a number), the indicators that measure it with the
target as the plan states it, or why no indicator fits.

`link_declared(plan, user)` links them through `pbc.plans.measures.link_measure` (audited, as the
locality's demo manager; idempotent: linking again changes nothing but the audit's "update").
`docs_markdown()` writes docs/plans.md from the same file and the seed plans as read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pbc.plans import measures
from pbc.plans.models import Milestone, Outcome, Plan

DECLARED = Path(__file__).with_name("measures.yaml")


@dataclass(frozen=True)
class Declared:
    locality: str
    kind: str  # "outcome" or "milestone"
    ref: str  # "3.2"
    starts: str
    measures: tuple[tuple[str, str], ...]  # (indicator id, target)
    none: str  # why no indicator fits ("" when measured)


@functools.cache
def declared() -> tuple[Declared, ...]:
    raw: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(DECLARED.read_text("utf-8"))
    out = []
    for locality, items in raw.items():
        for key, item in items.items():
            kind, ref = key.split()
            out.append(
                Declared(
                    locality,
                    kind,
                    ref,
                    str(item["starts"]),
                    tuple((str(i), str(t)) for i, t in item.get("measures", [])),
                    str(item.get("none", "")),
                )
            )
    return tuple(out)


class DeclarationError(ValueError):
    pass


def subject_of(plan: Plan, item: Declared) -> Outcome | Milestone:
    objective, number = (int(n) for n in item.ref.split("."))
    model: Any = Outcome if item.kind == "outcome" else Milestone
    found = (
        model.objects.filter(objective__plan=plan, objective__number=objective, number=number)
        .select_related("objective")
        .first()
    )
    if found is None or not " ".join(found.text.split()).startswith(item.starts):
        raise DeclarationError(
            f"{DECLARED.name}: {plan.locality.slug} {item.kind} {item.ref} should start "
            f"{item.starts!r}; the plan has {found.text[:60] if found else 'no such item'!r}"
        )
    subject: Outcome | Milestone = found
    return subject


def link_declared(plan: Plan, user: Any) -> int:
    """Link the plan's declared measures; returns how many links there are."""
    linked = 0
    for item in declared():
        if item.locality != plan.locality.slug or not item.measures:
            continue
        subject = subject_of(plan, item)
        existing = {(link.indicator_id, link.target) for link in subject.measures.all()}
        for indicator_id, target in item.measures:
            if (indicator_id, target) not in existing:
                measures.link_measure(user, subject, indicator_id, target)
            linked += 1
    return linked


def docs_markdown(outcomes: dict[str, list[tuple[str, str]]], titles: dict[str, str]) -> str:
    """docs/plans.md: every outcome of each seed plan (`outcomes`: locality → [(ref, text)]) with
    its measures or why none fits, then the milestones measured."""
    by_key = {(d.locality, d.kind, d.ref): d for d in declared()}
    lines = [
        "# The seed plans' outcomes and their measures",
        "",
        "Every expected outcome of both 2008/09 seed plans, with the indicators that measure it "
        "and the target as the plan states it, or why no indicator in the catalogue fits. The demo "
        "links them (`src/pbc/demo/measures.yaml`, loaded by `pbc.demo.measures`); a locality "
        "manager or PCT analyst links a plan's outcomes on the plan's *Measures* page "
        "(`/plans/localities/<slug>/measures/`). The board pack, the plan's status report and the "
        "public plan page show each measure's latest value, the plan's target and the Making "
        "Data Count icons. Links are audited and carried forward to next year's plan where an "
        "outcome's text is the same.",
        "",
        "This file is written from `measures.yaml` (`pbc.demo.measures.docs_markdown`); "
        "`tests/plans/test_measures.py` checks that it is up to date.",
        "",
    ]
    for locality, items in outcomes.items():
        measured = sum(1 for ref, _ in items if by_key[(locality, "outcome", ref)].measures)
        lines += [
            f"## {locality}: {measured} of {len(items)} outcomes measured",
            "",
            "| Outcome | Text | Measure (indicator: target) or why none fits |",
            "| --- | --- | --- |",
        ]
        for ref, text in items:
            item = by_key[(locality, "outcome", ref)]
            short = " ".join(text.split())
            short = short if len(short) <= 120 else short[:117].rstrip() + "..."
            what = (
                "<br>".join(f"**{titles[i]}** (`{i}`): {t}" for i, t in item.measures)
                if item.measures
                else f"None: {item.none}"
            )
            lines.append(f"| {ref} | {short.replace('|', '/')} | {what.replace('|', '/')} |")
        milestones = [d for d in declared() if d.locality == locality and d.kind == "milestone"]
        if milestones:
            lines += ["", "Milestones that state a number, measured:", ""]
            lines += [
                f"- milestone {d.ref} ({d.starts}...): "
                + "; ".join(f"**{titles[i]}**: {t}" for i, t in d.measures)
                for d in milestones
            ]
        lines.append("")
    return "\n".join(lines)


def seed_outcomes() -> dict[str, list[tuple[str, str]]]:
    """Each seed plan's outcomes as read from its document: locality → [(ref, text)]."""
    from pbc.demo.plans import SEEDS, seed_bytes
    from pbc.plans.reading import read_plan

    out = {}
    for slug, (filename, _) in SEEDS.items():
        parsed = read_plan(seed_bytes(filename), filename=filename)
        out[slug] = [
            (f"{n}.{m}", text)
            for n, objective in enumerate(parsed.objectives, start=1)
            for m, text in enumerate((t for t in objective.outcomes if t.strip()), start=1)
        ]
    return out


def seed_milestones() -> dict[str, dict[str, str]]:
    """Each seed plan's milestones as read: locality → {ref: text}."""
    from pbc.demo.plans import SEEDS, seed_bytes
    from pbc.plans.reading import read_plan

    out = {}
    for slug, (filename, _) in SEEDS.items():
        parsed = read_plan(seed_bytes(filename), filename=filename)
        out[slug] = {
            f"{n}.{m}": text
            for n, objective in enumerate(parsed.objectives, start=1)
            for m, text in enumerate((t for t in objective.milestones if t.strip()), start=1)
        }
    return out
