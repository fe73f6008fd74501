"""What a plan document reads as: objectives, unplaced fragments and warnings.

These are plain data classes with no Django in them; the plan importer copies them into models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


class PlanReadError(Exception):
    """A plan document could not be read at all (empty, wrong type, encrypted, no header).

    The message always names the file and says what is wrong with it.
    """

    def __init__(self, filename: str, problem: str) -> None:
        self.filename = filename
        self.problem = problem
        super().__init__(f"{filename}: {problem}")


@dataclass
class ParsedObjective:
    """One objective (a row of the plan table and the sub-rows under it)."""

    section: str
    title: str
    actions: list[str] = field(default_factory=list)
    milestones: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)
    timescales: list[str] = field(default_factory=list)
    due_dates: list[dt.date] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)

    @property
    def timescale(self) -> str:
        """The timescale cell text; several distinct fragments are joined with "; "."""
        return "; ".join(self.timescales)

    def to_dict(self) -> dict[str, Any]:
        """The objective in the `--json` shape of the plan import."""
        return {
            "section": self.section,
            "title": self.title,
            "actions": list(self.actions),
            "milestones": list(self.milestones),
            "leads": list(self.leads),
            "timescale": self.timescale,
            "due_dates": [d.isoformat() for d in self.due_dates],
            "outcomes": list(self.outcomes),
        }


@dataclass(frozen=True)
class UnplacedFragment:
    """A piece of the document's text that the reader could not put in any field."""

    text: str
    location: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "location": self.location, "reason": self.reason}


@dataclass
class ParsedPlan:
    """A plan document as read: objectives in document order, what was left over, warnings.

    `source_chars` is the number of non-blank characters of the document's text, so that the
    share of text left unplaced can be reported (`unplaced_share`).
    """

    filename: str
    financial_year: str
    title: str = ""
    objectives: list[ParsedObjective] = field(default_factory=list)
    unplaced: list[UnplacedFragment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_chars: int = 0

    @property
    def sections(self) -> list[str]:
        """Section names in document order, each once."""
        return list(dict.fromkeys(o.section for o in self.objectives))

    def objectives_in(self, section: str) -> list[ParsedObjective]:
        return [o for o in self.objectives if o.section == section]

    @property
    def unplaced_share(self) -> float:
        """Non-blank characters left unplaced, as a fraction of the document's non-blank text."""
        if not self.source_chars:
            return 0.0
        return sum(count_text_chars(f.text) for f in self.unplaced) / self.source_chars

    def to_json(self, *, with_warnings: bool = False) -> dict[str, Any]:
        """The `pbc plans import --json` shape: `objectives` and `unplaced` (and `warnings`)."""
        out: dict[str, Any] = {
            "objectives": [o.to_dict() for o in self.objectives],
            "unplaced": [f.to_dict() for f in self.unplaced],
        }
        if with_warnings:
            out["warnings"] = list(self.warnings)
        return out


def count_text_chars(text: str) -> int:
    """Characters that are not whitespace: the measure of "how much text" used throughout."""
    return sum(1 for ch in text if not ch.isspace())
