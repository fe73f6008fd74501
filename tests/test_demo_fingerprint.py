"""The figures the demo shows do not change: its finance statements, validation findings and
indicator values, read from the session's test-scale demo, equal the stored fingerprint
(tests/data/demo_fingerprint.json).

Statements (each PCT's and each practice's, every line and forecast method) and findings (one
line each) are stored in full. Indicator values (tens of thousands) are stored per indicator,
level and organisation: how many, the sum of the values and a SHA-256 of every value's fields,
so that the file stays small and a failure still names the series that moved.

Floats are rounded to 9 significant figures (some vary by ~1e-15 between runs); money (Decimal)
is compared exactly. A change that alters the demo on purpose re-baselines the file with
`PBC_FINGERPRINT_WRITE=1 .venv/bin/pytest tests/test_demo_fingerprint.py`, in a commit that
says what changed and why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pbc.finance import statements
from pbc.indicators.models import IndicatorValue
from pbc.orgs.models import Pct, Practice
from pbc.validation.models import Finding

# First in its worker, so that no test that changes the session's demo runs before it. (The
# 5P3 outpatients figure once seen to move between runs was not such a test: new findings took
# their ids in the engine's row order, and the demo's challenges followed that order; findings
# are now stored in key order and the challenges chosen by key.)
pytestmark = [pytest.mark.django_db, pytest.mark.pristine_demo]

FINGERPRINT = Path(__file__).parent / "data" / "demo_fingerprint.json"
WRITE = os.environ.get("PBC_FINGERPRINT_WRITE") == "1"
STATEMENT_MONTH = dt.date(2009, 1, 1)  # the finance demo's report month


def plain(value: Any) -> Any:
    """JSON-ready and stable: floats to 9 significant figures, Decimals and dates as text."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    raise TypeError(f"no fingerprint form for {type(value).__name__}: {value!r}")


def statement_figures() -> dict[str, Any]:
    """Each PCT's statement at the report month (key: its code) and each of its practices'
    (key: PCT and practice codes), with the prescribing split."""
    out: dict[str, Any] = {}
    for pct in Pct.objects.order_by("code"):
        practices = list(
            Practice.objects.filter(locality__pct=pct)
            .select_related("locality__pct")
            .order_by("code")
        )
        if not practices:
            continue
        rep = statements.report(practices, STATEMENT_MONTH)
        out[pct.code] = {
            "statement": plain(rep.statement),
            "practice_share": plain(rep.practice_share),
            "prescribing": plain(rep.prescribing),
        }
        for practice, statement in rep.practices:
            out[f"{pct.code} {practice.code}"] = {
                "statement": plain(statement),
                "prescribing": plain(rep.practice_prescribing.get(practice.pk)),
            }
    return out


# The key names the rule, dataset and row.
FINDING_FIELDS = (
    "practice_code", "provider_code", "commissioner_code",
    "month", "activity_date", "charged_price", "amount", "in_force", "still_flagged", "status",
    "challenged_amount", "agreed_amount", "recovered_amount", "written_off_amount",
)  # fmt: skip
INDICATOR_FIELDS = (
    "numerator", "denominator", "value", "lower", "upper", "extra", "source",
)  # fmt: skip


def finding_figures() -> dict[str, Any]:
    """Finding key → its fields, in FINDING_FIELDS order (after the PCT's code)."""
    rows = Finding.objects.order_by("key").values_list("key", "pct__code", *FINDING_FIELDS)
    return {key: plain(list(fields)) for key, *fields in rows}


def indicator_figures() -> dict[str, Any]:
    """ "indicator level:org" → [values, sum of the values, SHA-256 of every value's fields]."""
    rows = IndicatorValue.objects.order_by("indicator_id", "level", "org_code", "month")
    series: dict[str, list[Any]] = {}
    for r in rows.values("indicator_id", "level", "org_code", "month", *INDICATOR_FIELDS):
        key = f"{r.pop('indicator_id')} {r.pop('level')}:{r.pop('org_code')}"
        series.setdefault(key, []).append(plain(r))
    out: dict[str, Any] = {}
    for key, values in series.items():
        text = json.dumps(values, sort_keys=True)
        total = sum(v["value"] for v in values if v["value"] is not None)
        digest = hashlib.sha256(text.encode()).hexdigest()
        out[key] = [len(values), plain(float(total)), digest]
    return out


def fingerprint() -> dict[str, Any]:
    return {
        "statements": statement_figures(),
        "findings": finding_figures(),
        "indicators": indicator_figures(),
    }


def write(figures: dict[str, Any]) -> None:
    """One entry per line under each section, so that a re-baseline's diff shows what moved."""
    lines = ["{"]
    for i, (section, entries) in enumerate(figures.items()):
        lines.append(f"  {json.dumps(section)}: {{")
        for j, (key, value) in enumerate(entries.items()):
            comma = "," if j < len(entries) - 1 else ""
            lines.append(f"    {json.dumps(key)}: {json.dumps(value, sort_keys=True)}{comma}")
        lines.append("  }" + ("," if i < len(figures) - 1 else ""))
    lines.append("}")
    FINGERPRINT.parent.mkdir(parents=True, exist_ok=True)
    FINGERPRINT.write_text("\n".join(lines) + "\n")


def test_demo_figures_equal_the_stored_fingerprint() -> None:
    figures = fingerprint()
    assert figures["statements"] and figures["findings"] and figures["indicators"]
    if WRITE:
        write(figures)
    stored = json.loads(FINGERPRINT.read_text())
    # Section by section and entry by entry, so that a failure names what moved.
    for section in ("statements", "findings", "indicators"):
        now, then = figures[section], stored[section]
        added, gone = sorted(set(now) - set(then)), sorted(set(then) - set(now))
        assert not added and not gone, (
            f"{section}: {len(added)} entries added (first {added[:3]}), "
            f"{len(gone)} gone (first {gone[:3]})"
        )
        moved = [key for key in then if now[key] != then[key]]
        assert not moved, (
            f"{section}: {len(moved)} entries changed, first {moved[0]!r}: "
            f"stored {then[moved[0]]!r}, now {now[moved[0]]!r}"
        )
