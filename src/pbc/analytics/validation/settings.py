"""The dated settings of the validation rules: when each rule is in force, and its parameters.

Rules change over the years (the national readmission non-payment rule started in April 2011),
so "in force" is data, not a constant: each rule has one or more `Period`s. A finding whose
activity falls outside every period of its rule is still reported, as information for the
practice, but it is not a challenge and carries no money at stake.

Which date decides: the row's invoice date (the discharge date of a spell, the attendance or
arrival date), because the tariff rules in force are those of the month the provider invoices.

`ValidationSettings.override_in_force(...)` returns a copy with a rule's dates replaced; scoring
uses `always_in_force()` so that every rule is judged on all the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType

from pbc.warehouse.datasets import FAULT_RULE_IDS


@dataclass(frozen=True)
class Period:
    """From `start` to `end` inclusive; None = open."""

    start: dt.date | None = None
    end: dt.date | None = None

    def contains(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def label(self) -> str:
        if self.start is None and self.end is None:
            return "always"
        start = f"from {self.start:%d %B %Y}" if self.start else ""
        end = f"until {self.end:%d %B %Y}" if self.end else ""
        return " ".join(p for p in (start, end) if p)


ALWAYS: tuple[Period, ...] = (Period(),)
READMISSION_NON_PAYMENT_START = dt.date(2011, 4, 1)
INVOICING_WINDOW_MONTHS = 2


def _default_in_force() -> Mapping[str, tuple[Period, ...]]:
    periods = dict.fromkeys(FAULT_RULE_IDS, ALWAYS)
    periods["emergency_readmission_30d"] = (Period(READMISSION_NON_PAYMENT_START),)
    return MappingProxyType(periods)


@dataclass(frozen=True)
class ValidationSettings:
    """Parameters of one run of the rules.

    - `high_cost_threshold`: a spell or attendance charged above this is queued for clinical
      review (£3,000 in the Dacorum plan).
    - `readmission_window_days`: emergency readmissions within this many days of discharge.
    - `in_force`: the periods each rule applies in (rule id -> periods).
    - `invoicing_window_months`: activity not invoiced this many whole months after the end of
      its month is a finding (`activity_not_invoiced`): 2, the SUS PbR timetable's second
      (post-reconciliation) phase for a month's activity (docs/data.md "Invoicing window").
    - `invoices_as_of`: the month the invoices are judged at; None = the latest invoice month
      received.
    """

    high_cost_threshold: Decimal = Decimal("3000.00")
    readmission_window_days: int = 30
    invoicing_window_months: int = INVOICING_WINDOW_MONTHS
    invoices_as_of: dt.date | None = None
    in_force: Mapping[str, tuple[Period, ...]] = field(default_factory=_default_in_force)

    def periods(self, rule_id: str) -> tuple[Period, ...]:
        return self.in_force.get(rule_id, ALWAYS)

    def override_in_force(self, rule_id: str, periods: tuple[Period, ...]) -> ValidationSettings:
        changed = dict(self.in_force)
        changed[rule_id] = periods
        return replace(self, in_force=MappingProxyType(changed))

    def always_in_force(self) -> ValidationSettings:
        """Every rule in force on every date (scoring against the truth file)."""
        return replace(self, in_force=MappingProxyType(dict.fromkeys(self.in_force, ALWAYS)))


DEFAULT_SETTINGS = ValidationSettings()
