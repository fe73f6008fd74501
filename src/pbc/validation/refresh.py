"""Running the validation rules over the warehouse: storing findings (`refresh`) and reporting
them (`validate_command`, wired by the lead as `pbc validate [--month YYYY-MM] [--score]
[--json]`).

- `refresh(month=None)`: reads the warehouse on the configured engine, runs every rule and
  stores the findings (`actions.store_findings`): re-running on the same data changes nothing,
  new data adds new findings, decisions are never reset. `month` limits the stored findings to
  that invoice month (the rules still look at all the data).
- `validate_command(month=None, score=False, as_json=False) -> (exit_code, text)`: the rules'
  findings and money at stake per rule, read-only (it stores nothing: `pbc refresh` does);
  with `score`, precision and recall against the warehouse's truth file (`faults`); with
  `as_json`, `{"rules": [{"id", "findings", "amount", "precision", "recall"}, ...]}` (amount
  a decimal string; precision and recall null without `--score`).

Exit codes: 0 done; 2 a bad month, or `--score` with no truth file in the warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from pbc.analytics import validation as v
from pbc.periods import parse_month
from pbc.validation.actions import StoreResult, store_findings

EXIT_OK = 0
EXIT_USAGE = 2


def _connect() -> Any:
    from pbc.warehouse.engine import connect

    return connect()


def findings_records(month: str | dt.date | None = None) -> list[dict[str, Any]]:
    """The rules' findings over the warehouse, as rows of `FINDING_SCHEMA` (dates as dates)."""
    first = parse_month(month) if month else None
    con = _connect()
    inputs = v.warehouse_inputs(con, cache=True)
    # Through Arrow: its rows come out as plain values (Decimal, date, str, None) in C, where a
    # data frame converted each money value and date one by one in Python.
    records: list[dict[str, Any]] = con.to_pyarrow(v.find(inputs, month=first)).to_pylist()
    for r in records:
        for column in ("month", "activity_date"):
            value = r[column]
            r[column] = value.date() if hasattr(value, "date") else value
    return records


# Every warehouse dataset the rules read.
DATASETS = v.WAREHOUSE_DATASETS


def app_inputs(month: dt.date | None) -> str:
    """A digest of what storing the findings reads from the app database: the organisations
    findings are linked to."""
    from pbc.orgs.models import Pct, Practice, Provider
    from pbc.refresh.inputs import digest, table

    return digest(table(Pct, "code"), table(Practice, "code"), table(Provider, "code"))


def refresh(month: str | dt.date | None = None, user: Any = None) -> StoreResult:
    """Run the rules over the warehouse and store their findings."""
    return store_findings(
        findings_records(month), month=parse_month(month) if month else None, user=user
    )


def validate_command(
    month: str | None = None, score: bool = False, as_json: bool = False
) -> tuple[int, str]:
    try:
        first = parse_month(month) if month else None
    except ValueError as err:
        return EXIT_USAGE, str(err)
    con = _connect()
    inputs = v.warehouse_inputs(con, cache=True)
    if score:
        from pbc.warehouse.engine import table

        truth = table(con, "faults")
        if int(con.execute(truth.count())) == 0:
            return EXIT_USAGE, "no truth file in the warehouse: import the faults dataset first"
        scores = v.score(con, inputs, truth, month=first)
    else:
        found = v.find(inputs, month=first)
        totals = con.execute(
            found.group_by("rule_id").aggregate(n=found.count(), amount=found.amount.sum())
        )
        by_rule = {
            str(r): (int(n), a)
            for r, n, a in zip(*(totals[c] for c in ("rule_id", "n", "amount")), strict=True)
        }
        scores = [
            v.RuleScore(
                id=rule_id,
                findings=by_rule.get(rule_id, (0, None))[0],
                amount=Decimal(str(by_rule.get(rule_id, (0, None))[1] or "0")).quantize(
                    Decimal("0.01")
                ),
                true_positives=0,
                truth=0,
                precision=None,
                recall=None,
            )
            for rule_id in v.RULES
        ]
    if as_json:
        return EXIT_OK, json.dumps({"rules": [s.as_dict() for s in scores]})
    title = f"Validation findings{f' for {first:%B %Y}' if first else ''}"
    if score:
        return EXIT_OK, f"{title}, scored against the truth file\n" + v.table_text(scores)
    lines = [title, f"{'rule':<32} {'findings':>9} {'amount £':>14}"]
    lines += [f"{s.id:<32} {s.findings:>9,} {s.amount:>14,}" for s in scores]
    return EXIT_OK, "\n".join(lines)
