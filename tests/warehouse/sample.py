"""A small activity dataset declared for the warehouse tests, and writers for its files.

Declared here (not taken from pbc.warehouse.datasets) so the importer's tests pin the
importer's behaviour, not the current data contract. It has every field type, a code list, a
named check, a required money field, and partitions by month and provider.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from pbc.warehouse.schema import Dataset, Field

ACTIVITY = Dataset(
    name="activity",
    description="test activity",
    key=("row_id",),
    period_field="event_date",
    partition_by_provider=True,
    fields=(
        Field("row_id", "string", True),
        Field("nhs_number", "string", False, check="nhs_number"),
        Field("provider_code", "string", True, check="provider_code"),
        Field("event_date", "date", True),
        Field("length_of_stay", "int", True),
        Field("point_of_delivery", "string", True, codes=frozenset({"EL", "DC", "NEL"})),
        Field("price", "decimal", True),
        Field("factor", "decimal", False, precision=6, scale=4),
        Field("weight", "float", False),
        Field("procedure_flag", "bool", False),
    ),
)

REFERENCE = Dataset(
    name="lookup",
    description="unpartitioned reference data",
    key=("code",),
    fields=(Field("code", "string", True), Field("amount", "decimal", True)),
)

HEADER = list(ACTIVITY.names)
VALID_NHS = ("9434765919", "9990000018", "4010232137")


def row(
    row_id: str,
    *,
    provider: str = "RWG",
    date: str = "2008-04-15",
    price: str = "100.00",
    nhs: str = "9434765919",
    los: str = "2",
    pod: str = "EL",
    factor: str = "1.0000",
    weight: str = "1.5",
    flag: str = "true",
) -> list[str]:
    return [row_id, nhs, provider, date, los, pod, price, factor, weight, flag]


def month_rows(
    month: str, provider: str, n: int, price: str = "10.00", prefix: str = ""
) -> list[list[str]]:
    """n valid rows in the month "YYYY-MM" for one provider."""
    return [
        row(
            f"{prefix}{month}-{provider}-{i}",
            provider=provider,
            date=f"{month}-{1 + i % 28:02d}",
            price=price,
        )
        for i in range(n)
    ]


def write_csv(path: Path, rows: Iterable[Sequence[object]], header: Sequence[str] = HEADER) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def to_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def money(text: str) -> Decimal:
    return Decimal(text)
