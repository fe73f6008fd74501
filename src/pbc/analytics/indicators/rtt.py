"""Referral to treatment (RTT): 18-week performance, percentiles, week bands, breach watch list.

Definitions (NHS RTT waiting-times guidance, as published monthly by the Department of Health
and later NHS England):

- **Wait** of a completed pathway (admitted or non-admitted) = clock stop − clock start, in
  days; it counts in the month of its clock stop. An **incomplete** pathway is one open at a
  census date (clock started on or before it and not stopped on or before it); its wait is
  census − clock start, and it counts in the month of the census (the month's last day).
- Clocks **nullified** by the patient not attending the first appointment
  (`first_appointment_dna`) are excluded everywhere.
- **Week bands** as published: ">0-1" is 0 to 7 days, ">1-2" is 8 to 14 days, ..., band k
  (k ≥ 1) is 7k+1 to 7k+7 days; "52 plus" is 365 days or more. Within 18 weeks means at most
  126 days: a wait of exactly 126 days (18 × 7) is within 18 weeks, 127 days is not.
- **Exact percentiles** from pathway-level data, in days: linear interpolation between order
  statistics (numpy's default, Excel's PERCENTILE.INC), so an analyst can check a value in a
  spreadsheet.
- **Interpolated percentiles** from week-band data, in weeks, as the published statistics do:
  L + (pN − F) / f × w, where the band containing the pN-th pathway starts at L weeks, holds f
  pathways, F pathways lie in earlier bands and the band is w = 1 week wide. A percentile that
  falls in the open "52 plus" band has no value (None).
- **Breach watch list** (Welwyn Hatfield's "breaching 17 weeks"): incomplete pathways waiting
  119 days (17 weeks) or more at the census date, with the days left before the 18-week breach
  (negative once breached). Patient-level: show only to the practice's own users and PCT
  analysts, and audit each view.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from pbc.periods import month_end

WEEK_DAYS = 7
EIGHTEEN_WEEKS_DAYS = 18 * WEEK_DAYS  # 126: within 18 weeks when wait_days <= 126
SEVENTEEN_WEEKS_DAYS = 17 * WEEK_DAYS  # 119: on the breach watch list from here
TOP_BAND = 52  # the published layout's last band: "52 plus" (365 days or more)

CompletedType = Literal["admitted", "non_admitted"]
PathwayType = Literal["admitted", "non_admitted", "incomplete"]

WAIT_COLUMNS = (
    "pathway_id",
    "gp_practice_code",
    "provider_code",
    "treatment_function_code",
    "month",
    "wait_days",
)


# --- week bands ----------------------------------------------------------------------------------


def week_band(days: int, top: int = TOP_BAND) -> int:
    """The week band index of a wait: 0 for 0-7 days, k for 7k+1..7k+7 days, `top` beyond."""
    if days < 0:
        raise ValueError("a wait cannot be negative")
    return min(max(0, math.ceil(days / WEEK_DAYS) - 1), top)


def week_band_expr(days: ir.IntegerValue, top: int = TOP_BAND) -> ir.IntegerValue:
    """`week_band` as an Ibis expression (integer arithmetic only, identical on every engine)."""
    index = (days + (WEEK_DAYS - 1)) // WEEK_DAYS - 1
    return ibis.least(ibis.greatest(index, 0), top).cast("int64")


def band_labels(top: int = TOP_BAND) -> tuple[str, ...]:
    """The published column headings: ">0-1", ">1-2", ..., ">51-52", "52 plus"."""
    return tuple(f">{k}-{k + 1}" for k in range(top)) + (f"{top} plus",)


def band_columns(top: int = TOP_BAND) -> tuple[str, ...]:
    """Column names for the week-band layout: weeks_00_01, ..., weeks_51_52, weeks_52_plus."""
    return tuple(f"weeks_{k:02d}_{k + 1:02d}" for k in range(top)) + (f"weeks_{top}_plus",)


# --- waits -------------------------------------------------------------------------------------


def valid_pathways(rtt: ir.Table) -> ir.Table:
    """Pathways whose clock stands: nullified clocks (first-appointment DNA) removed."""
    return rtt.filter(~rtt.first_appointment_dna.fill_null(False))


def completed_waits(rtt: ir.Table, pathway_type: CompletedType) -> ir.Table:
    """Completed pathways of one type, with the month of the clock stop and the wait in days."""
    t = valid_pathways(rtt)
    t = t.filter((t.pathway_type == pathway_type) & t.clock_stop_date.notnull())
    return t.select(
        pathway_id=t.pathway_id,
        gp_practice_code=t.gp_practice_code,
        provider_code=t.provider_code,
        treatment_function_code=t.treatment_function_code,
        month=t.clock_stop_date.truncate("M"),
        wait_days=t.clock_stop_date.delta(t.clock_start_date, unit="day").cast("int64"),
    )


def open_at(rtt: ir.Table, census: ir.DateValue) -> ir.BooleanValue:
    """The pathway was incomplete at the census date."""
    return (rtt.clock_start_date <= census) & (
        rtt.clock_stop_date.isnull() | (rtt.clock_stop_date > census)
    )


def incomplete_waits(rtt: ir.Table, census_dates: Sequence[dt.date]) -> ir.Table:
    """Pathways open at each census date (usually month ends), waiting census − clock start days.

    Pathways later completed count as incomplete at the census dates before their clock stop."""
    censuses = ibis.memtable({"census_date": list(census_dates)}, schema={"census_date": "date"})
    t = valid_pathways(rtt).cross_join(censuses)
    t = t.filter(open_at(t, t.census_date))
    return t.select(
        pathway_id=t.pathway_id,
        gp_practice_code=t.gp_practice_code,
        provider_code=t.provider_code,
        treatment_function_code=t.treatment_function_code,
        month=t.census_date.truncate("M"),
        wait_days=t.census_date.delta(t.clock_start_date, unit="day").cast("int64"),
    )


def waits(
    rtt: ir.Table, pathway_type: PathwayType, months: Sequence[dt.date] | None = None
) -> ir.Table:
    """Waits of one pathway type (`WAIT_COLUMNS`). Incomplete pathways need the `months`
    whose last days are the census dates."""
    if pathway_type == "incomplete":
        if months is None:
            raise ValueError("incomplete waits need the months to take a census in")
        return incomplete_waits(rtt, [month_end(m) for m in months])
    return completed_waits(rtt, pathway_type)


def wait_distribution(wait_table: ir.Table, by: Sequence[str]) -> ir.Table:
    """Pathways per group, month and wait in days (the exact, pathway-level distribution)."""
    return wait_table.group_by([*by, "month", "wait_days"]).aggregate(pathways=wait_table.count())


def published_layout(wait_table: ir.Table, by: Sequence[str], top: int = TOP_BAND) -> ir.Table:
    """The published week-band layout: one row per group and month, a column per week band
    (`band_columns`) and `total_pathways`, plus `within_18_weeks`."""
    band = week_band_expr(wait_table.wait_days, top)
    metrics: dict[str, ir.Value] = {
        name: (band == k).cast("int64").sum() for k, name in enumerate(band_columns(top))
    }
    metrics["total_pathways"] = wait_table.count()
    metrics["within_18_weeks"] = (wait_table.wait_days <= EIGHTEEN_WEEKS_DAYS).cast("int64").sum()
    return wait_table.group_by([*by, "month"]).aggregate(**metrics)


def breach_watch_list(
    rtt: ir.Table, census: dt.date, from_days: int = SEVENTEEN_WEEKS_DAYS
) -> ir.Table:
    """Incomplete pathways waiting `from_days` (17 weeks) or more at `census`: patient-level."""
    t = valid_pathways(rtt)
    c = ibis.literal(census, type="date")
    t = t.filter(open_at(t, c))
    t = t.mutate(wait_days=c.delta(t.clock_start_date, unit="day").cast("int64"))
    t = t.filter(t.wait_days >= from_days)
    return t.select(
        "pathway_id",
        "nhs_number",
        "gp_practice_code",
        "provider_code",
        "treatment_function_code",
        "clock_start_date",
        "wait_days",
        weeks_waited=(t.wait_days // WEEK_DAYS).cast("int64"),
        days_to_breach=(EIGHTEEN_WEEKS_DAYS - t.wait_days).cast("int64"),
    ).order_by(
        ["provider_code", "treatment_function_code", "gp_practice_code", ibis.desc("wait_days")]
    )


# --- summaries (plain Python on aggregated counts) -------------------------------------------------


@dataclass(frozen=True)
class WaitSummary:
    """18-week performance and waits of a group of pathways."""

    pathways: int
    within_18_weeks: int
    percent_within_18_weeks: float | None
    median: float | None
    p95: float | None
    unit: Literal["days", "weeks"]


def percentile_exact(day_counts: Mapping[int, int], p: float) -> float | None:
    """The p-quantile (0 ≤ p ≤ 1) of waits given as {wait_days: pathways}: linear interpolation
    between order statistics (h = (N − 1)p, value = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]))."""
    if not 0 <= p <= 1:
        raise ValueError("p must lie between 0 and 1")
    items = sorted((d, n) for d, n in day_counts.items() if n > 0)
    total = sum(n for _d, n in items)
    if total == 0:
        return None
    h = (total - 1) * p
    lo = math.floor(h)
    frac = h - lo

    def value_at(rank: int) -> int:  # 0-based order statistic
        seen = 0
        for days, n in items:
            seen += n
            if rank < seen:
                return days
        return items[-1][0]

    low_value = value_at(lo)
    if frac == 0:
        return float(low_value)
    return low_value + frac * (value_at(lo + 1) - low_value)


def percentile_interpolated(band_counts: Sequence[int], p: float) -> float | None:
    """The p-quantile in weeks from week-band counts (band k = [k, k+1) weeks, the last band
    open): L + (pN − F) / f × 1 week. None when there are no pathways or it falls in the open
    band."""
    if not 0 <= p <= 1:
        raise ValueError("p must lie between 0 and 1")
    total = sum(band_counts)
    if total == 0:
        return None
    target = p * total
    before = 0
    last = len(band_counts) - 1
    for k, f in enumerate(band_counts):
        if f > 0 and before + f >= target:
            if k == last:
                return None
            return k + (target - before) / f
        before += f
    return None  # pragma: no cover - target <= total always lands in a band


def median_interpolated(band_counts: Sequence[int]) -> float | None:
    """The median in weeks from week-band counts as NHS England publishes it: interpolated at
    rank (N + 1) / 2, L + ((N + 1) / 2 - F) / f x 1 week (its 95th percentile is at 0.95 N, as
    `percentile_interpolated`). Checked against the published medians of the April 2015
    commissioner workbooks (docs/data.md). None when there are no pathways or it falls in the
    open band."""
    total = sum(band_counts)
    if total == 0:
        return None
    return percentile_interpolated(band_counts, (total + 1) / (2 * total))


def bands_from_days(day_counts: Mapping[int, int], top: int = TOP_BAND) -> list[int]:
    """Week-band counts (the published layout) from {wait_days: pathways}."""
    bands = [0] * (top + 1)
    for days, n in day_counts.items():
        bands[week_band(days, top)] += n
    return bands


def summarise_days(day_counts: Mapping[int, int]) -> WaitSummary:
    """Exact summary from pathway-level waits {wait_days: pathways}: percentiles in days."""
    total = sum(day_counts.values())
    within = sum(n for d, n in day_counts.items() if d <= EIGHTEEN_WEEKS_DAYS)
    return WaitSummary(
        pathways=total,
        within_18_weeks=within,
        percent_within_18_weeks=100 * within / total if total else None,
        median=percentile_exact(day_counts, 0.5),
        p95=percentile_exact(day_counts, 0.95),
        unit="days",
    )


def summarise_bands(band_counts: Sequence[int]) -> WaitSummary:
    """Summary from week-band data: within 18 weeks = the first 18 bands (0 to 126 days);
    percentiles interpolated within the band, in weeks."""
    total = sum(band_counts)
    within = sum(band_counts[:18])
    return WaitSummary(
        pathways=total,
        within_18_weeks=within,
        percent_within_18_weeks=100 * within / total if total else None,
        median=percentile_interpolated(band_counts, 0.5),
        p95=percentile_interpolated(band_counts, 0.95),
        unit="weeks",
    )


def day_counts_by_group(
    rows: Iterable[Mapping[str, object]], keys: Sequence[str]
) -> dict[tuple[object, ...], dict[int, int]]:
    """Group rows of `wait_distribution` output into {group key: {wait_days: pathways}}."""
    groups: dict[tuple[object, ...], dict[int, int]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        days = int(row["wait_days"])  # type: ignore[call-overload]
        counts = groups.setdefault(key, {})
        counts[days] = counts.get(days, 0) + int(row["pathways"])  # type: ignore[call-overload]
    return groups
