"""From table rows to objectives: the part every format shares.

Each format reader turns its document into a stream of events in document order:

- `PlanTitle(text)`: the document's title (a Word paragraph in the Title style);
- `Section(title)`: a heading between tables ("National Priorities", "Local Priorities");
- `Row(cells, location)`: one table row, as text fragments per field (`Role`);
- `Loose(text, location, reason)`: text the reader found outside any field (listed as unplaced).

`assemble` then applies the rules that make objectives:

- a row whose Objective cell has text starts a new objective in the current section ...
- ... unless the previous title is visibly cut (it ends in a comma, a hyphen or a small word such
  as "a", "to", "and") and this text starts with a lower-case letter: then it is the rest of that
  title, split by a page break ("... moving services from acute to primary care," / "and commission
  care closer to home"). Titles may start in lower case ("patient experience"), so the lower case
  alone is not enough;
- a row with an empty Objective cell belongs to the objective above it; its fragments become
  further actions, milestones, leads, timescales and outcomes (sub-rows);
- a row before any objective of its section has nowhere to go: its text is unplaced.

With `wrapped=True` (text extracted from a PDF, where a line break inside a cell cannot be told
from a new paragraph) a fragment that starts with a lower-case letter or punctuation is joined to
the previous item of the same field; otherwise every fragment is its own item (a paragraph).
Timescale fragments give due dates; a date before the financial year starts gives a warning.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pbc.plans.reading.columns import Role
from pbc.plans.reading.model import ParsedObjective, ParsedPlan, UnplacedFragment
from pbc.plans.reading.timescales import is_ongoing, is_timescale, parse_due_dates


@dataclass(frozen=True)
class PlanTitle:
    text: str


@dataclass(frozen=True)
class Section:
    title: str


@dataclass
class Row:
    cells: dict[Role, list[str]]
    location: str


@dataclass(frozen=True)
class Loose:
    text: str
    location: str
    reason: str


Event = PlanTitle | Section | Row | Loose


def clean(text: str) -> str:
    """Whitespace runs to one space, ends stripped (no character of text is lost)."""
    return " ".join(text.split())


def has_text(text: str) -> bool:
    """True if `text` has a letter or digit (bare bullets and rules are not text)."""
    return any(ch.isalnum() for ch in text)


def continues_previous(text: str) -> bool:
    """A fragment that starts in lower case or with punctuation continues the one before it."""
    first = text.lstrip()[:1]
    return bool(first) and (first.islower() or first in ",;:)]-–—&")


CUT_WORDS = {
    "a",
    "an",
    "the",
    "and",
    "or",
    "of",
    "to",
    "in",
    "for",
    "with",
    "by",
    "from",
    "as",
    "at",
    "on",
    "into",
    "its",
    "their",
    "our",
    "that",
    "which",
}


def looks_cut(title: str) -> bool:
    """A title that ends mid-sentence: a comma, a hyphen or a small joining word."""
    stripped = title.rstrip()
    if stripped.endswith((",", "-", "–", "&", "/")):
        return True
    last = stripped.rsplit(None, 1)[-1].lower() if stripped else ""
    return last in CUT_WORDS


def _strip_punctuation(text: str) -> str:
    return re.sub(r"^[\s,;:.\-–—]+|[\s,;:\-–—]+$", "", text)


@dataclass
class _Builder:
    plan: ParsedPlan
    wrapped: bool
    fy_start: dt.date
    section: str = ""
    current: ParsedObjective | None = None
    objectives: list[ParsedObjective] = field(default_factory=list)

    def section_starts(self, title: str) -> None:
        self.section = clean(title)
        self.current = None

    def unplaced(self, text: str, location: str, reason: str) -> None:
        self.plan.unplaced.append(UnplacedFragment(clean(text), location, reason))

    def row(self, row: Row) -> None:
        titles = [clean(t) for t in row.cells.get(Role.OBJECTIVE, []) if clean(t)]
        if titles:
            if (
                self.current is not None
                and looks_cut(self.current.title)
                and continues_previous(titles[0])
            ):
                self.current.title = f"{self.current.title} {titles[0]}"
                titles = titles[1:]
            if titles:
                self.current = ParsedObjective(section=self.section, title="\n".join(titles))
                self.objectives.append(self.current)
        for role, fragments in row.cells.items():
            if role is Role.OBJECTIVE:
                continue
            for fragment in fragments:
                text = clean(fragment)
                if not text:
                    continue
                if self.current is None:
                    self.unplaced(text, row.location, "no objective above this row")
                else:
                    self.add(self.current, role, text, row.location)

    def add(self, objective: ParsedObjective, role: Role, text: str, location: str) -> None:
        if role is Role.TIMESCALE:
            self.add_timescale(objective, text, location)
            return
        items = {
            Role.ACTION: objective.actions,
            Role.MILESTONE: objective.milestones,
            Role.LEAD: objective.leads,
            Role.OUTCOME: objective.outcomes,
        }[role]
        if self.wrapped and items and continues_previous(text):
            items[-1] = f"{items[-1]} {text}"
        elif role is Role.LEAD and text in items:
            return
        else:
            items.append(text)

    def add_timescale(self, objective: ParsedObjective, text: str, location: str) -> None:
        value = _strip_punctuation(text) if self.wrapped else text
        if value not in objective.timescales:
            objective.timescales.append(value)
        dates = parse_due_dates(value)
        if not dates and not is_ongoing(value):
            self.plan.warnings.append(
                f"{location}: timescale {value!r} of objective {objective.title[:60]!r} "
                "has no date that could be read"
            )
        elif not is_timescale(value):
            self.plan.warnings.append(
                f"{location}: timescale {value!r} of objective {objective.title[:60]!r} "
                "has words besides dates; check the due dates read from it"
            )
        for date in dates:
            if date in objective.due_dates:
                continue
            objective.due_dates.append(date)
            if date < self.fy_start:
                self.plan.warnings.append(
                    f"{location}: objective {objective.title[:60]!r} is due {date.isoformat()} "
                    f"(timescale {value!r}), before the financial year {self.plan.financial_year} "
                    f"starts on {self.fy_start.isoformat()}"
                )


def assemble(
    events: Iterable[Event], plan: ParsedPlan, *, wrapped: bool, fy_start: dt.date
) -> ParsedPlan:
    """Fill `plan.objectives` (and its unplaced list and warnings) from reader events."""
    builder = _Builder(plan=plan, wrapped=wrapped, fy_start=fy_start)
    for event in events:
        if isinstance(event, PlanTitle):
            plan.title = plan.title or clean(event.text)
        elif isinstance(event, Section):
            builder.section_starts(event.title)
        elif isinstance(event, Loose):
            if clean(event.text):
                builder.unplaced(event.text, event.location, event.reason)
        else:
            builder.row(event)
    plan.objectives.extend(builder.objectives)
    return plan
