"""The small-number disclosure rule published pages apply: a setting, dated like the rules.

`settings.PBC_DISCLOSURE_RULE` (environment `PBC_DISCLOSURE_RULE`) is either "in-force" (the
default: the rule of `pbc.stats.suppression` in force today, by its `valid_from` date), the name
of a rule ("HES_2018", "HES_BEFORE_2018"), or a `DisclosureRule` itself (tests use that to
publish with a rule of their own, e.g. one that suppresses nothing).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from pbc.stats import HES_2018, HES_BEFORE_2018, DisclosureRule

RULES = {"HES_2018": HES_2018, "HES_BEFORE_2018": HES_BEFORE_2018}


def in_force(on: dt.date) -> DisclosureRule:
    """The rule with the latest `valid_from` on or before `on` (undated rules apply from the start)."""
    dated = [r for r in RULES.values() if r.valid_from is None or r.valid_from <= on]
    return max(dated, key=lambda r: r.valid_from or dt.date.min)


def rule(on: dt.date | None = None) -> DisclosureRule:
    value = getattr(settings, "PBC_DISCLOSURE_RULE", "in-force")
    if isinstance(value, DisclosureRule):
        return value
    if value == "in-force":
        return in_force(on or dt.date.today())
    try:
        return RULES[value]
    except KeyError:
        raise ValueError(f"PBC_DISCLOSURE_RULE: unknown rule {value!r}") from None


def suppresses(value: int | float | None, applied: DisclosureRule | None = None) -> bool:
    """True when the rule hides this count."""
    r = applied or rule()
    return value is not None and r.suppress_from <= round(value) <= r.suppress_to


def describe(applied: DisclosureRule | None = None) -> str:
    """One sentence for the published pages."""
    r = applied or rule()
    if r.suppress_to < r.suppress_from:
        hidden = "No counts are suppressed"
    else:
        hidden = (
            f"Counts of {r.suppress_from} to {r.suppress_to} are suppressed, with every figure "
            "derived from them, to protect patients' confidentiality"
        )
    rounded = f"; other counts are rounded to the nearest {r.round_to}" if r.round_to > 1 else ""
    return f"{hidden}{rounded}."
