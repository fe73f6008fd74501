"""The RTT week-band table: pathways by the NHS published week bands (">0-1" ... "52 plus")
for admitted, non-admitted and incomplete pathways, by provider and treatment function, for
one month and one organisation's registered patients. Aggregate counts only.

Built from `pbc.analytics.indicators.rtt.published_layout` over the warehouse `rtt` dataset:
completed pathways count in the month of their clock stop, incomplete ones at the month's last
day (the census), nullified clocks excluded. Each row (and each pathway type's total) also
carries its median and 95th-percentile waits: exact in days from the pathway-level
distribution (`rtt.summarise_days`) and interpolated within the band in weeks from the band
counts (`rtt.summarise_bands`), so the two can be compared.
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
    day_counts: tuple[tuple[int, int], ...] = ()  # (wait in days, pathways): pathway level

    @property
    def percent_within_18_weeks(self) -> float | None:
        return 100 * self.within_18_weeks / self.total if self.total else None

    @property
    def exact(self) -> rtt.WaitSummary:
        """Median and 95th percentile in days, exact from the pathway-level waits."""
        return rtt.summarise_days(dict(self.day_counts))

    @property
    def from_bands(self) -> rtt.WaitSummary:
        """Median and 95th percentile in weeks, interpolated within the week band (as the
        published statistics do from the band counts alone)."""
        return rtt.summarise_bands(self.bands)


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
        days: dict[int, int] = {}
        for r in rows:
            for wait, n in r.day_counts:
                days[wait] = days.get(wait, 0) + n
        return BandRow(
            pathway_type,
            "",
            "",
            tuple(sum(r.bands[k] for r in rows) for k in range(len(self.labels))),
            sum(r.total for r in rows),
            sum(r.within_18_weeks for r in rows),
            tuple(sorted(days.items())),
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
        keys = ["provider_code", "treatment_function_code"]
        layout = rtt.published_layout(waits, keys)
        frame = con.execute(layout.order_by(keys))
        distribution = con.execute(rtt.wait_distribution(waits, keys))
        days = rtt.day_counts_by_group(
            [{**r, "provider_code": str(r["provider_code"]),
              "treatment_function_code": str(r["treatment_function_code"])}
             for r in distribution.to_dict("records")],
            keys,
        )  # fmt: skip
        for record in frame.to_dict("records"):
            key = (str(record["provider_code"]), str(record["treatment_function_code"]))
            rows.append(
                BandRow(
                    pathway_type,
                    key[0],
                    key[1],
                    tuple(int(record[c]) for c in columns),
                    int(record["total_pathways"]),
                    int(record["within_18_weeks"]),
                    tuple(sorted(days.get(key, {}).items())),
                )
            )
    return WeekBandTable(level, org_code, month, rtt.band_labels(), tuple(rows))


def csv_rows(result: WeekBandTable) -> list[list[Any]]:
    """The table as CSV rows: one per pathway type, provider and treatment function, then one
    total per pathway type (`row` = "total", provider and treatment function blank), each with
    its median and 95th-percentile waits exact in days and interpolated from the bands in
    weeks (blank where there is none)."""
    header: list[Any] = ["month", "organisation_level", "organisation", "row", "pathway_type",
                         "provider_code", "treatment_function_code", *result.labels,
                         "total_pathways", "within_18_weeks", "percent_within_18_weeks",
                         "median_days", "p95_days", "median_weeks_from_bands",
                         "p95_weeks_from_bands"]  # fmt: skip
    out: list[list[Any]] = [header]
    lines = [("provider x specialty", r) for r in result.rows]
    for pathway_type, _label in PATHWAY_TYPES:
        total = result.totals(pathway_type)
        if total is not None:
            lines.append(("total", total))
    for kind, r in lines:
        exact, banded = r.exact, r.from_bands
        out.append(
            [f"{result.month:%Y-%m}", result.level, result.org_code, kind, r.pathway_type,
             r.provider_code, r.treatment_function_code, *r.bands, r.total, r.within_18_weeks,
             r.percent_within_18_weeks, exact.median, exact.p95, banded.median, banded.p95]
        )  # fmt: skip
    return out
