"""Plan table columns: the six fields and the header texts that name them.

A header is recognised by its cells' text, in any order. Each header cell is normalised
(lower case, punctuation to spaces) and matched against a list of synonyms; a cell such as
"Objective/Priority" matches when any of its "/"-separated parts does. A row is a header when it
names the Objective column and at least two other fields; cells naming nothing become `None`
columns whose text is reported as unplaced.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum


class Role(StrEnum):
    """The field a column feeds."""

    OBJECTIVE = "objective"
    ACTION = "action"
    MILESTONE = "milestone"
    LEAD = "lead"
    TIMESCALE = "timescale"
    OUTCOME = "outcome"


HEADER_TEXT: dict[Role, str] = {
    Role.OBJECTIVE: "Objective/Priority",
    Role.ACTION: "Action",
    Role.MILESTONE: "Milestones",
    Role.LEAD: "Lead",
    Role.TIMESCALE: "Timescale",
    Role.OUTCOME: "Outcome",
}
"""The header text the exporters write (the seed documents' own words)."""

SYNONYMS: dict[Role, tuple[str, ...]] = {
    Role.OBJECTIVE: (
        "objective",
        "objectives",
        "priority",
        "priorities",
        "objective priority",
        "aim",
        "aims",
        "goal",
        "goals",
        "priority area",
        "commissioning intention",
        "commissioning intentions",
    ),
    Role.ACTION: ("action", "actions", "key actions", "activity", "activities", "tasks"),
    Role.MILESTONE: ("milestone", "milestones", "key milestones", "deliverables", "measures"),
    Role.LEAD: (
        "lead",
        "leads",
        "lead s",
        "lead person",
        "responsible",
        "responsibility",
        "owner",
        "who",
    ),
    Role.TIMESCALE: (
        "timescale",
        "timescales",
        "time scale",
        "timeline",
        "timing",
        "deadline",
        "due date",
        "target date",
        "date",
        "by when",
        "when",
    ),
    Role.OUTCOME: (
        "outcome",
        "outcomes",
        "expected outcome",
        "expected outcomes",
        "benefit",
        "benefits",
        "expected benefits",
        "result",
        "results",
    ),
}

_LOOKUP: dict[str, Role] = {syn: role for role, syns in SYNONYMS.items() for syn in syns}


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def role_of(header_cell: str) -> Role | None:
    """The field a header cell names, or None."""
    norm = _normalise(header_cell)
    if norm in _LOOKUP:
        return _LOOKUP[norm]
    for part in re.split(r"[/&]|\band\b|\bor\b", header_cell.lower()):
        part_norm = _normalise(part)
        if part_norm in _LOOKUP:
            return _LOOKUP[part_norm]
    return None


def match_header(cells: Sequence[str]) -> list[Role | None] | None:
    """The column roles if `cells` is a header row, else None.

    Empty cells are kept as `None` columns (a header may have blank cells); a role named twice
    keeps its first column and the second becomes `None`.
    """
    roles: list[Role | None] = []
    seen: set[Role] = set()
    for cell in cells:
        role = role_of(cell) if cell.strip() else None
        if role in seen:
            role = None
        if role is not None:
            seen.add(role)
        roles.append(role)
    if Role.OBJECTIVE in seen and len(seen) >= 3:
        return roles
    return None
