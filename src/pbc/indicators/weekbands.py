"""The RTT week-band table: pathways by the NHS published week bands (">0-1" ... "52 plus")
for admitted, non-admitted and incomplete pathways, by provider and treatment function, for
one month and one organisation's registered patients. Aggregate counts only.

Built from `pbc.analytics.indicators.rtt.published_layout` over the warehouse `rtt` dataset:
completed pathways count in the month of their clock stop, incomplete ones at the month's last
day (the census), nullified clocks excluded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
from django.conf import settings

from pbc.analytics.indicators import rtt
from pbc.orgs.models import Practice

PATHWAY_TYPES: tuple[tuple[rtt.PathwayType, str], ...] = (
    ("admitted", "Admitted (completed)"),
    ("non_admitted", "Non-admitted (completed)"),
    ("incomplete", "Incomplete (at the month end)"),
)


@dataclass(frozen=True)
class BandRow:
    pathway_type: str
    provider_code: str
    treatment_function_code: str
    bands: tuple[int, ...]
    total: int
    within_18_weeks: int

    @property
    def percent_within_18_weeks(self) -> float | None:
        return 100 * self.within_18_weeks / self.total if self.total else None


@dataclass(frozen=True)
class WeekBandTable:
    level: str
    org_code: str
    month: dt.date
    labels: tuple[str, ...]
    rows: tuple[BandRow, ...]

    def of_type(self, pathway_type: str) -> list[BandRow]:
        return [r for r in self.rows if r.pathway_type == pathway_type]

    def totals(self, pathway_type: str) -> BandRow | None:
        rows = self.of_type(pathway_type)
        if not rows:
            return None
        return BandRow(
            pathway_type,
            "",
            "",
            tuple(sum(r.bands[k] for r in rows) for k in range(len(self.labels))),
            sum(r.total for r in rows),
            sum(r.within_18_weeks for r in rows),
        )


def practice_codes(level: str, org_code: str, obj: Any = None) -> list[str]:
    """The practices whose registered patients an organisation covers."""
    if level == "practice":
        return [org_code]
    if level == "locality":
        query = Practice.objects.filter(locality__slug=org_code)
    elif level == "pct":
        query = Practice.objects.filter(locality__pct__code=org_code)
    else:
        raise ValueError(f"RTT week bands are not reported at {level} level")
    return sorted(query.values_list("code", flat=True))


def table(
    level: str,
    org_code: str,
    obj: Any,
    month: dt.date,
    *,
    con: Any = None,
    rtt_table: ir.Table | None = None,
) -> WeekBandTable:
    """The week-band table of one organisation and month (warehouse read through the engine
    unless `con` and `rtt_table` are given)."""
    if con is None or rtt_table is None:
        from pbc.warehouse import engine

        con = engine.connect()
        rtt_table = engine.table(con, "rtt", data_dir=settings.DATA_DIR)
    month = month.replace(day=1)
    codes = practice_codes(level, org_code, obj)
    columns = rtt.band_columns()
    rows: list[BandRow] = []
    for pathway_type, _label in PATHWAY_TYPES:
        waits = rtt.waits(rtt_table, pathway_type, [month])
        waits = waits.filter(waits.month == month)
        waits = waits.filter(waits.gp_practice_code.isin(codes)) if codes else waits.limit(0)
        layout = rtt.published_layout(waits, ["provider_code", "treatment_function_code"])
        frame = con.execute(layout.order_by(["provider_code", "treatment_function_code"]))
        for record in frame.to_dict("records"):
            rows.append(
                BandRow(
                    pathway_type,
                    str(record["provider_code"]),
                    str(record["treatment_function_code"]),
                    tuple(int(record[c]) for c in columns),
                    int(record["total_pathways"]),
                    int(record["within_18_weeks"]),
                )
            )
    return WeekBandTable(level, org_code, month, rtt.band_labels(), tuple(rows))


def csv_rows(result: WeekBandTable) -> list[list[Any]]:
    """The table as CSV rows: one per pathway type, provider and treatment function."""
    header: list[Any] = ["month", "organisation_level", "organisation", "pathway_type",
                         "provider_code", "treatment_function_code", *result.labels,
                         "total_pathways", "within_18_weeks"]  # fmt: skip
    out: list[list[Any]] = [header]
    for r in result.rows:
        out.append(
            [f"{result.month:%Y-%m}", result.level, result.org_code, r.pathway_type,
             r.provider_code, r.treatment_function_code, *r.bands, r.total, r.within_18_weeks]
        )  # fmt: skip
    return out
