"""`refresh(month=None)`: compute every shipped indicator from the warehouse into the app database.

Reads the warehouse through the engine (`pbc.warehouse.engine`), computes each computed
indicator for every practice, locality and PCT (or provider) and month, adds OpenPrescribing
deciles and 10th-centile savings to prescribing measures, turns manual entries into values,
and stores the 17-week RTT watch list at the last census date. Pages then read only the app
database.

- `month=None` recomputes every month the activity data covers; `month="2009-03"` only that
  month (reference rates for the mortality ratio still come from every spell).
- Aggregate data (published QOF, RTT returns, A&E statistics, the national measures' periodic
  returns: `AGGREGATE_DATES`): an indicator
  with an `aggregate` route, or one whose expressions read aggregate data, is also computed for
  every month the aggregate data covers. A value from the patient-level route wins wherever it
  has data (a denominator, or pathways for a percentile); elsewhere the aggregate value stands,
  stored with source "aggregate" and the dataset it came from (`extra["dataset"]`).
- One transaction: a failed refresh leaves the previous values in place. One audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import pandas as pd
from django.conf import settings
from django.db import transaction

from pbc.analytics.indicators import compute as cp
from pbc.analytics.indicators import expressions as ex
from pbc.analytics.indicators import prescribing as rx
from pbc.analytics.indicators import rtt as rtt_analytics
from pbc.bulk import insert_rows
from pbc.indicators import definitions as defs
from pbc.indicators import feed_registry
from pbc.indicators.models import IndicatorValue, ManualValue, WatchPathway
from pbc.orgs import audit
from pbc.periods import add_months, financial_year_of, parse_month, quarter_of

DATASETS = (
    "practices",
    "providers",
    "list_sizes",
    "weighted_populations",
    "referrals",
    "op",
    "apc",
    "deaths",
    "prescribing",
    "rtt",
    "rtt_returns",
    "ae_attendances",
    "hcai_returns",
    "ncmp_returns",
    "chlamydia_returns",
    "cancer_waits_returns",
    "stroke_returns",
    "hpv_returns",
    "breastfeeding_returns",
    "smoking_survey_returns",
    "choice_returns",
)
# (aggregate dataset, date column): the months aggregate routes are computed for.
AGGREGATE_DATES = (
    ("rtt_returns", "month"),
    ("ae_attendances", "month"),
    ("hcai_returns", "month"),
    ("ncmp_returns", "year_start"),
    ("chlamydia_returns", "quarter_start"),
    ("cancer_waits_returns", "month"),
    ("stroke_returns", "quarter_start"),
    ("hpv_returns", "year_start"),
    ("breastfeeding_returns", "quarter_start"),
    ("smoking_survey_returns", "year_start"),
    ("choice_returns", "month"),
)
# (dataset, date column) whose range defines the months a full refresh covers.
# Prescribing counts too: a locality that has loaded only the ODS files and the published
# prescribing data (no hospital activity) gets its prescribing measures.
ACTIVITY_DATES = (
    ("referrals", "referral_date"),
    ("op", "attendance_date"),
    ("apc", "discharge_date"),
    ("prescribing", "month"),
)


@dataclass(frozen=True)
class RefreshResult:
    months: tuple[dt.date, ...]
    indicators: int
    values: int
    watch_pathways: int
    census_date: dt.date | None


def app_inputs(month: dt.date | None) -> str:
    """A digest of what a refresh reads besides the warehouse: the shipped definitions, the
    values entered by hand, the services app's sign-ups, claims and specifications (the
    services-fed indicators) and the practices, localities and PCTs they are counted for."""
    from pbc.orgs.models import Locality, Pct, Practice
    from pbc.refresh.inputs import digest, table
    from pbc.services.queries import feed_inputs

    manual = ManualValue.objects.order_by("pk").values_list(
        "indicator_id", "level", "org_code", "month", "numerator", "denominator"
    )
    return digest(
        [repr(d) for d in defs.catalogue().values()],
        manual.filter(month=month) if month is not None else manual,
        table(Pct, "code"),
        table(Locality, "slug", "pct__code"),
        table(Practice, "code", "locality__slug"),
        *feed_inputs(),
    )


def month_range(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    months = []
    m = first.replace(day=1)
    while m <= last:
        months.append(m)
        m = add_months(m, 1)
    return tuple(months)


def data_months(con: Any, tables: Mapping[str, ir.Table]) -> tuple[dt.date, ...]:
    """Every month from the first to the last activity date in the warehouse."""
    lows, highs = [], []
    for name, column in ACTIVITY_DATES:
        t = tables[name]
        row = con.execute(t.aggregate(lo=t[column].min(), hi=t[column].max())).iloc[0]
        if row["lo"] is not None and str(row["lo"]) not in ("NaT", "nan", "None"):
            lows.append(cp._as_date(row["lo"]))
            highs.append(cp._as_date(row["hi"]))
    if not lows:
        return ()
    return month_range(min(lows), max(highs))


def aggregate_months(con: Any, tables: Mapping[str, ir.Table]) -> tuple[dt.date, ...]:
    """The months the aggregate datasets hold data for."""
    months: set[dt.date] = set()
    for name, column in AGGREGATE_DATES:
        if name not in tables:
            continue
        t = tables[name]
        frame = con.execute(t.select(m=t[column].truncate("M")).distinct())
        months |= {cp._as_date(v) for v in frame["m"] if v is not None and not pd.isna(v)}
    return tuple(sorted(months))


def warehouse_tables(con: Any) -> dict[str, ir.Table]:
    from pbc.warehouse import engine

    return {name: engine.table(con, name, data_dir=settings.DATA_DIR) for name in DATASETS}


# A computed value to store: `IndicatorValue`'s fields (attribute name -> value) as
# `insert_rows` takes them (a model instance per value cost more than computing it).
ValueRow = dict[str, Any]


def compute_definition(
    definition: defs.Definition,
    ctx: ex.Context,
    con: Any,
    units: cp.Units,
    aggregate_ctx: ex.Context | None = None,
) -> list[ValueRow]:
    """The values to store of one computed indicator (levels as the definition lists): from
    the patient-level route over `ctx`, and where it has no data, from the aggregate route over
    `aggregate_ctx` (an indicator whose own expressions read aggregate data uses that too)."""
    spec = definition.compute_spec()
    primary_aggregate = ex.EXPRESSIONS[spec.numerator.name].aggregate
    if primary_aggregate and (
        aggregate_ctx is None or ex.EXPRESSIONS[spec.numerator.name].dataset not in ctx.tables
    ):
        return []  # no aggregate data loaded
    own_ctx = aggregate_ctx if primary_aggregate and aggregate_ctx is not None else ctx
    values = (
        [v for v in cp.compute(spec, own_ctx, con, units) if v.level in definition.levels]
        if own_ctx.months  # no patient-level months: a warehouse of aggregates only
        else []
    )
    extras = _prescribing_extras(definition, ctx, con, units, values)
    out = [_stored(definition, v, extras.get((v.level, v.org_code, v.month), {})) for v in values]
    if primary_aggregate:
        return [_as_aggregate(row, spec.numerator.name) for row in out]
    route = definition.aggregate_spec()
    dataset = ex.EXPRESSIONS[route.numerator.name].dataset if route is not None else None
    if route is None or aggregate_ctx is None or dataset not in aggregate_ctx.tables:
        return out  # no aggregate route, or its dataset is not in the warehouse given
    aggregate = [
        v for v in cp.compute(route, aggregate_ctx, con, units) if v.level in definition.levels
    ]
    kept, used = cp.with_fallback(values, aggregate)
    return [
        _stored(definition, v, extras.get((v.level, v.org_code, v.month), {})) for v in kept
    ] + [_as_aggregate(_stored(definition, v, {}), route.numerator.name) for v in used]


def _as_aggregate(row: ValueRow, expression: str) -> ValueRow:
    row["source"] = IndicatorValue.Source.AGGREGATE
    row["extra"] = {**row["extra"], "dataset": ex.EXPRESSIONS[expression].dataset}
    return row


def _stored(definition: defs.Definition, v: cp.Value, extra: dict[str, Any]) -> ValueRow:
    return {
        "indicator_id": definition.id,
        "level": v.level,
        "org_code": v.org_code,
        "month": v.month,
        "numerator": v.numerator,
        "denominator": v.denominator,
        "value": v.value,
        "lower": v.lower,
        "upper": v.upper,
        "extra": extra,
        "source": IndicatorValue.Source.COMPUTED,
    }


def _prescribing_extras(
    definition: defs.Definition,
    ctx: ex.Context,
    con: Any,
    units: cp.Units,
    values: Iterable[cp.Value],
) -> dict[tuple[str, str, dt.date], dict[str, Any]]:
    """OpenPrescribing figures of a prescribing measure (`pbc.analytics.indicators.prescribing`)
    by (level, org code, month): for each practice its decile among the PCT's practices, the
    PCT's 10th-centile value (in the indicator's unit) and, for cost measures, the potential
    saving at the 10th centile in whole pence (0 when already at or below it); for each
    locality and PCT the sum of its practices' potential savings (`rx.measure_figures`, from
    the measure's values and the warehouse's costs read here)."""
    if not definition.prescribing_measure:
        return {}
    pct_of = {p: pct for p, _loc, pct in units.practices}
    parents = {p: (("locality", loc), ("pct", pct)) for p, loc, pct in units.practices}
    costs: dict[str, Mapping[tuple[str, dt.date], float]] = {}
    for key, ref in (("num", definition.numerator_cost), ("den", definition.denominator_cost)):
        costs[key] = cp.counts(con, ctx, ref) if ref else {}
    rows = [
        rx.PracticeMonth(
            practice=v.org_code,
            pct=pct_of[v.org_code],
            month=v.month,
            numerator=v.numerator or 0.0,
            denominator=v.denominator or 0.0,
            numerator_cost=costs["num"].get((v.org_code, v.month), 0.0),
            denominator_cost=costs["den"].get((v.org_code, v.month), 0.0),
        )
        for v in values
        if v.level == "practice"
    ]
    return rx.measure_figures(rows, parents, definition.multiplier, definition.cost_measure)


def manual_values(months: Iterable[dt.date] | None = None) -> list[IndicatorValue]:
    """Values of manual-entry indicators from what was entered (an entry for an indicator that
    no longer takes one, now computed from a return, say, stays recorded and is not shown)."""
    out = []
    query = ManualValue.objects.all()
    if months is not None:
        query = query.filter(month__in=list(months))
    for m in query:
        definition = defs.get(m.indicator_id)
        if definition is None or not definition.accepts_manual_entry:
            continue
        out.append(value_from_manual(definition, m))
    return out


def value_from_manual(definition: defs.Definition, m: ManualValue) -> IndicatorValue:
    spec = cp.ComputeSpec(
        statistic=definition.statistic,  # type: ignore[arg-type]
        numerator=cp.ExpressionRef("manual"),
        denominator=cp.ExpressionRef("manual") if definition.denominator else None,
        multiplier=definition.multiplier,
    )
    value, lower, upper = cp.statistic_value(spec, m.numerator, m.denominator)
    return IndicatorValue(
        indicator_id=definition.id,
        level=m.level,
        org_code=m.org_code,
        month=m.month,
        numerator=m.numerator,
        denominator=m.denominator,
        value=value,
        lower=lower,
        upper=upper,
        source=IndicatorValue.Source.MANUAL,
    )


def _has_organisation(code: Any) -> bool:
    return isinstance(code, str) and code != ""


def refresh(
    month: str | dt.date | None = None,
    *,
    con: Any = None,
    tables: Mapping[str, ir.Table] | None = None,
    indicator_ids: Iterable[str] | None = None,
) -> RefreshResult:
    """Recompute indicators (all months, or one) and the RTT watch list; store them."""
    if con is None:
        from pbc.warehouse import engine

        con = engine.connect()
    tables = dict(tables) if tables is not None else warehouse_tables(con)
    months = (parse_month(month),) if month is not None else data_months(con, tables)
    aggregate = (parse_month(month),) if month is not None else aggregate_months(con, tables)
    catalogue = defs.catalogue()
    chosen = [catalogue[i] for i in indicator_ids] if indicator_ids else list(catalogue.values())
    units = cp.load_units(con, tables["practices"], tables["providers"])
    ctx = ex.Context(tables, months)
    aggregate_ctx = ex.Context(tables, aggregate) if aggregate else None
    new: list[ValueRow] = []
    computed_ids = []
    for definition in chosen:
        if not definition.computed:
            continue
        computed_ids.append(definition.id)
        new += compute_definition(definition, ctx, con, units, aggregate_ctx)
    # A practice with no locality (or PCT) in the warehouse's practice file gives a group with
    # no organisation at that level: nothing to attribute it to, so it is not stored.
    new = [v for v in new if _has_organisation(v["org_code"])]
    every_month = sorted(set(months) | set(aggregate))
    fed = [d for d in chosen if d.services_feed]
    quarters = sorted({quarter_of(m) for m in months})
    services_new = [v for d in fed for v in services_values(d, quarters)]
    census = rtt_analytics.month_end(months[-1]) if months else None
    watch: list[WatchPathway] = []
    if census is not None:
        listed = con.execute(rtt_analytics.breach_watch_list(tables["rtt"], census))
        watch = [
            WatchPathway(
                census_date=census,
                pathway_id=r["pathway_id"],
                nhs_number=r["nhs_number"],
                practice_code=r["gp_practice_code"],
                provider_code=r["provider_code"],
                treatment_function_code=r["treatment_function_code"],
                clock_start_date=cp._as_date(r["clock_start_date"]),
                wait_days=int(r["wait_days"]),
            )
            for r in listed.to_dict("records")
        ]
    with transaction.atomic():
        IndicatorValue.objects.filter(indicator_id__in=computed_ids, month__in=every_month).delete()
        insert_rows(IndicatorValue, new)  # `updated_at` left to its default: now
        IndicatorValue.objects.filter(
            indicator_id__in=[d.id for d in fed],
            month__in=quarters,
            source=IndicatorValue.Source.SERVICES,
        ).delete()
        _store_manual(months if month is not None else None)
        _store_services(services_new)
        if census is not None:
            WatchPathway.objects.all().delete()
            WatchPathway.objects.bulk_create(watch, batch_size=2000)
        audit.record(
            None,
            "refresh",
            detail=f"indicators: {len(computed_ids)} computed, {len(new)} values, "
            f"{len(services_new)} from services data, "
            f"{len(months)} months; RTT watch list {len(watch)} pathways",
        )
    return RefreshResult(months, len(computed_ids), len(new), len(watch), census)


def services_values(
    definition: defs.Definition, quarters: Iterable[dt.date]
) -> list[IndicatorValue]:
    """Values of a services-fed indicator for each of `quarters` (first months), for each PCT
    and locality, where its feed (`pbc.indicators.feed_registry`) covers the quarter's
    financial year. Elsewhere hand-entered values stand. A feed nobody registered is refused
    (`feed_registry.UnknownFeed`)."""
    from pbc.orgs.models import Locality, Pct

    if definition.services_feed is None:
        raise ValueError(f"{definition.id} is not a services-fed indicator")
    feed = feed_registry.get(definition.services_feed)
    covered = set(feed.years())
    orgs: list[tuple[str, str]] = []
    if "pct" in definition.levels:
        orgs += [("pct", p.code) for p in Pct.objects.order_by("code")]
    if "locality" in definition.levels:
        orgs += [("locality", loc.slug) for loc in Locality.objects.order_by("slug")]
    spec = cp.ComputeSpec(
        statistic=definition.statistic,  # type: ignore[arg-type]
        numerator=cp.ExpressionRef(feed.name),
        denominator=cp.ExpressionRef(feed.name) if definition.denominator else None,
        multiplier=definition.multiplier,
    )
    out = []
    for quarter in quarters:
        if financial_year_of(quarter) not in covered:
            continue
        for level, code in orgs:
            got = feed.count(quarter, level, code)
            if got is None:
                continue
            numerator, denominator, extra = got.numerator, got.denominator, dict(got.extra)
            value, lower, upper = cp.statistic_value(spec, numerator, denominator)
            out.append(
                IndicatorValue(
                    indicator_id=definition.id,
                    level=level,
                    org_code=code,
                    month=quarter,
                    numerator=numerator,
                    denominator=denominator,
                    value=value,
                    lower=lower,
                    upper=upper,
                    extra=extra,
                    source=IndicatorValue.Source.SERVICES,
                )
            )
    return out


def _store_services(rows: Iterable[IndicatorValue]) -> None:
    """Services values replace whatever stood for that organisation and quarter (a value
    entered by hand stays in `ManualValue`, and shows again if the services data goes)."""
    for row in rows:
        IndicatorValue.objects.update_or_create(
            indicator_id=row.indicator_id,
            level=row.level,
            org_code=row.org_code,
            month=row.month,
            defaults={
                "numerator": row.numerator,
                "denominator": row.denominator,
                "value": row.value,
                "lower": row.lower,
                "upper": row.upper,
                "extra": row.extra,
                "source": row.source,
            },
        )


def _store_manual(months: Iterable[dt.date] | None) -> None:
    rows = manual_values(months)
    for row in rows:
        IndicatorValue.objects.update_or_create(
            indicator_id=row.indicator_id,
            level=row.level,
            org_code=row.org_code,
            month=row.month,
            defaults={
                "numerator": row.numerator,
                "denominator": row.denominator,
                "value": row.value,
                "lower": row.lower,
                "upper": row.upper,
                "source": row.source,
            },
        )
