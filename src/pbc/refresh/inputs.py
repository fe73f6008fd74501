"""Digests of what a refresh step reads from the app database: `digest(*parts)`.

Each step's module says what it reads (`app_inputs(month)` in `pbc.finance.refresh`,
`pbc.validation.refresh`, `pbc.indicators.refresh`) by passing those rows to `digest`: plain
values (dates, Decimals, strings, numbers, None, and lists, tuples and dicts of them), or
querysets (`Model.objects.values_list(...)`, ordered), whose rows are read in order. Two calls
give the same digest exactly when the values are the same.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet


def _plain(value: Any) -> Any:
    if isinstance(value, QuerySet):
        return [_plain(row) for row in value]
    if isinstance(value, dict):
        return sorted(((repr(k), _plain(v)) for k, v in value.items()), key=lambda kv: kv[0])
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def digest(*parts: Any) -> str:
    """A hex digest of `parts` (see the module's docstring for what a part may be)."""
    return hashlib.sha256(repr([_plain(p) for p in parts]).encode()).hexdigest()


def table(model: Any, *fields: str) -> QuerySet[Any, Any]:
    """Every row of `model` (the given fields, else all), in primary key order."""
    return model.objects.order_by("pk").values_list(*fields)
