"""The hook through which challenge outcomes adjust budgets.

Budgets are charged with what providers invoiced, less what the PCT recovered through agreed
challenges (the validation app, `pbc.validation`). `agreed_recoveries(financial_year, through)`
returns the agreed recoveries by practice, month and budget line; until the validation app
provides them it returns nothing.

Contract for the validation app: expose `pbc.validation.finance.agreed_recoveries(financial_year,
through)` returning an iterable of objects (or dicts) with `practice_code`, `month` (first day of
the month the recovery is credited in), `budget_line` (a `BudgetLine` value: the line of the
challenged row) and `amount` (Decimal, positive: the money recovered). `refresh` credits each as
a negative, non-recurrent `SpendFact` with source "recovery".
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Recovery:
    practice_code: str
    month: dt.date
    budget_line: str
    amount: Decimal


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


def agreed_recoveries(financial_year: str, through: dt.date) -> list[Recovery]:
    try:
        module = importlib.import_module("pbc.validation.finance")
    except ImportError:
        return []
    provider = getattr(module, "agreed_recoveries", None)
    if provider is None:
        return []
    found: Iterable[Any] = provider(financial_year, through)
    return [
        Recovery(
            str(_field(r, "practice_code")),
            _field(r, "month"),
            str(_field(r, "budget_line")),
            Decimal(_field(r, "amount")),
        )
        for r in found
    ]
