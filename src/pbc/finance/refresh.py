"""`refresh(month)`: recompute costing and the spend behind statements for a month.

For report month M of financial year Y, the facts of Y (April to M) and of the two years before
(whole years: last year's series drives backtests and seasonal profiles, the year before that
the seasonal method's backtest) are recomputed from the warehouse and replace the stored ones in
one transaction:

- invoiced activity (apc, op, ae and unbundled imaging), costed at tariff and at local prices
  (`pbc.analytics.finance.spend`), charged at what the provider invoiced; a row that falls
  under a block line of its provider's contract with the practice's PCT in its month
  (`pbc.analytics.finance.contracts.line_for`: the lines in force that month, its specialty's
  own line before a line for all activity) is not charged per row (the block is): it is kept as
  an "under_block" fact on the block's budget line with its activity and £ at tariff and
  nothing charged, so the contract review shows the activity the block bought; a row under a
  cost-per-case or tariff line, or under none, is charged as invoiced; activity with no invoice
  yet (an extract loaded before the provider's invoice lines) is charged at its expected cost
  and its facts are marked `expected`;
- block lines: a twelfth of the annual value for each month the line is in force, shared among
  the PCT's practices by registered patients (latest quarter's list size;
  `pbc.analytics.finance.contracts`: `list_size_by_quarter`, `block_charges_to`), so a variation
  that ends a block on a date changes the charges from that month only;
- prescribing: actual cost by practice and month; in the current year, months later than
  M − lag (a dated setting, 2 months) or without data are estimated (average of the last three
  actual months) and marked as estimates (`pbc.analytics.finance.prescribing.prescribing_spend`);
  each actual month of this year and last year is also
  compared with the same month a year earlier (`PrescribingChange`, the price/volume split);
- services: paid enhanced-service claims (enhanced services line, by payment month) and
  cost-per-case provider returns (community and provider services line, by month covered), from
  `pbc.services.feeds`;
- other spend (one-off items) from the app database;
- agreed challenge recoveries (`pbc.validation.finance.agreed_recoveries`), credited as negative
  non-recurrent spend.

With `month=None` the report month is the latest month with admitted patient care in the
warehouse.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from pbc.analytics import invoices
from pbc.analytics.finance import contracts, spend
from pbc.analytics.finance import prescribing as rx
from pbc.analytics.finance.lines import BudgetLine
from pbc.analytics.finance.money import ZERO
from pbc.bulk import insert_rows
from pbc.finance.models import (
    ContractLine,
    FinanceSetting,
    OtherSpend,
    PrescribingChange,
    RefreshRun,
    SpendFact,
)
from pbc.orgs import audit
from pbc.orgs.models import Practice, Provider
from pbc.periods import (
    add_years,
    financial_year_of,
    month_end,
    months_of_year,
    parse_month,
    year_end,
    year_start,
)
from pbc.services import feeds as services_feeds
from pbc.validation.finance import agreed_recoveries
from pbc.warehouse import engine as wh

ACTIVITY = ("apc", "op", "ae", "imaging")
# Activity whose charges may come from providers' invoice lines (imaging from its IMG lines).
INVOICED = ("apc", "op", "ae", "imaging")
# Every warehouse dataset the refresh reads (the recoveries read apc too).
DATASETS = (
    *ACTIVITY,
    "invoice_lines",
    "tariff",
    "market_forces_factors",
    "local_prices",
    "practices",
    "list_sizes",
    "prescribing",
)


def activity_with_invoices(con: Any, name: str, rows: Any = None) -> Any:
    """An activity dataset with its charges from the providers' invoice lines where any name
    its rows (`pbc.analytics.invoices.with_invoices`); rows without keep their own (or none:
    then the statement counts their expected cost). `rows`: the lines summed per activity row
    (`invoices.per_row`), worked out once for several datasets (imaging always matches its own
    IMG lines, `invoices.per_scan`)."""
    table = wh.table(con, name)
    if name not in INVOICED:
        return table
    lines = wh.table(con, "invoice_lines")
    if name == "imaging":  # a scan's own IMG lines, by its id or its parent's and HRG
        rows = invoices.per_scan(lines, table)
    return invoices.with_invoices(table, lines, spend.ROW_ID[name], rows=rows)


def latest_activity_month(con: Any) -> dt.date | None:
    value = con.execute(wh.table(con, "apc").discharge_date.max())
    if value is None or value != value:  # NaT
        return None
    day = _date(value)
    return dt.date(day.year, day.month, 1)


def report_month_of(month: str | dt.date | None) -> dt.date | None:
    """The report month a refresh of `month` is for: `month`, else the latest month with
    admitted patient care in the warehouse (None when it holds none)."""
    return parse_month(month) if month is not None else latest_activity_month(wh.connect())


def years_of(month: dt.date) -> list[str]:
    """The financial years a refresh for report month `month` recomputes."""
    fy = financial_year_of(month)
    return [add_years(fy, -2), add_years(fy, -1), fy]


def app_inputs(month: dt.date) -> str:
    """A digest of what a refresh for report month `month` reads from the app database: the
    organisations, contract lines, the prescribing lag, other spend, the services app's spend and
    the agreed challenge recoveries (the validation app's)."""
    from pbc.refresh.inputs import digest, table

    years = years_of(month)
    start, end = year_start(years[0]), month_end(month)
    return digest(
        table(Practice, "code", "locality__slug", "locality__pct__code"),
        table(Provider, "code"),
        [
            # An activity line's value is its plan's total, which the refresh does not read.
            (*row[:-1], row[-1] if row[3] == BLOCK else None)
            for row in ContractLine.objects.filter(contract__financial_year__in=years)
            .order_by("pk")
            .values_list(
                "contract__financial_year",
                "contract__pct__code",
                "contract__provider__code",
                "kind",
                "treatment_function_code",
                "budget_line",
                "starts",
                "ends",
                "annual_value",
            )  # fmt: skip
        ],
        FinanceSetting.objects.filter(key=FinanceSetting.Key.PRESCRIBING_LAG)
        .order_by("pk")
        .values_list("line", "value", "valid_from"),
        OtherSpend.objects.filter(month__gte=start, month__lte=end)
        .order_by("pk")
        .values_list("practice__code", "month", "line", "amount", "recurrent"),
        services_feeds.enhanced_services_spend_by_practice(years),
        services_feeds.cost_per_case_spend_by_practice(years),
        [agreed_recoveries(year, month if year == years[-1] else year_end(year)) for year in years],
    )


BLOCK = "block"


def terms_of(line: ContractLine) -> contracts.LineTerms:
    """A stored contract line's terms, for `pbc.analytics.finance.contracts`."""
    return contracts.LineTerms(
        kind=line.kind,
        treatment_function=line.treatment_function_code,
        budget_line=line.budget_line,
        annual_value=line.annual_value,
        starts=line.starts,
        ends=line.ends,
        key=line.pk,
    )


def registered_by_quarter(con: Any) -> dict[str, list[tuple[dt.date, int]]]:
    """Each practice's (quarter start, registered patients), in date order."""
    rows = con.to_pyarrow(contracts.list_size_by_quarter(wh.table(con, "list_sizes"))).to_pylist()
    out: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
    for r in rows:
        out[r["gp_practice_code"]].append((_date(r["quarter_start"]), int(r["registered"])))
    for v in out.values():
        v.sort()
    return out


class FactBuilder:
    """The facts of a refresh, as rows of `SpendFact` (field attribute name -> value)."""

    def __init__(self) -> None:
        self.practices = {p.code: p for p in Practice.objects.select_related("locality__pct")}
        self.providers = {p.code: p for p in Provider.objects.all()}
        self.facts: list[dict[str, Any]] = []
        self.years: dict[dt.date, str] = {}  # month -> financial year, worked out once each

    def year_of(self, month: dt.date) -> str:
        """`financial_year_of(month)`, worked out once per month."""
        year = self.years.get(month)
        if year is None:
            year = self.years[month] = financial_year_of(month)
        return year

    def add(self, practice: str, month: dt.date, line: str, source: str, charged: Decimal,
            provider: Provider | None = None, **kw: Any) -> None:  # fmt: skip
        p = self.practices.get(practice)
        if p is None:
            return
        self.facts.append(
            {
                "practice_id": p.pk,
                "financial_year": self.year_of(month),
                "month": month,
                "line": line,
                "source": source,
                "charged": charged,
                "provider_id": provider.pk if provider is not None else None,
                **kw,
            }
        )


def _date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def refresh(month: str | dt.date | None = None, *, user: Any = None) -> RefreshRun:
    """Recompute costing and statement facts for `month` ('YYYY-MM'); the run is returned."""
    started = time.perf_counter()
    con = wh.connect()
    report_month = parse_month(month) if month is not None else latest_activity_month(con)
    if report_month is None:
        raise ValueError("the warehouse holds no activity: import apc first, or give a month")
    fy = financial_year_of(report_month)
    years = years_of(report_month)
    start, end = year_start(years[0]), month_end(report_month)
    builder = FactBuilder()

    # Contract lines by (PCT code, year, provider code).
    year_lines = list(
        ContractLine.objects.filter(contract__financial_year__in=years).select_related(
            "contract__pct", "contract__provider"
        )
    )
    lines: dict[tuple[str, str, str], list[contracts.LineTerms]] = defaultdict(list)
    for line in year_lines:
        c = line.contract
        lines[(c.pct.code, c.financial_year, c.provider.code)].append(terms_of(line))

    # Invoiced activity, costed (the invoice lines summed per activity row once, not once per
    # dataset).
    per_line = invoices.per_row(wh.table(con, "invoice_lines")).cache()
    summary = spend.activity_summary(
        {name: activity_with_invoices(con, name, per_line) for name in ACTIVITY},
        wh.table(con, "tariff"),
        wh.table(con, "market_forces_factors"),
        wh.table(con, "practices"),
        start,
        end,
        local_prices=wh.table(con, "local_prices"),
    )
    rows_costed = 0
    for r in con.to_pyarrow(summary).to_pylist():
        month_ = _date(r["month"])
        rows_costed += int(r["rows"])
        line = contracts.line_for(
            lines.get((r["pct_code"], builder.year_of(month_), r["provider_code"]), ()),
            month_,
            r["treatment_function_code"] or "",
        )
        block = line if line is not None and line.kind == BLOCK else None
        if block is None and r["budget_line"] not in BudgetLine.__members__.values():
            continue
        builder.add(
            r["gp_practice_code"],
            month_,
            block.budget_line if block else r["budget_line"],
            SpendFact.Source.UNDER_BLOCK if block else SpendFact.Source.ACTIVITY,
            ZERO if block else r["charged"],
            provider=builder.providers.get(r["provider_code"]),
            point_of_delivery=r["point_of_delivery"] or "",
            treatment_function_code=r["treatment_function_code"] or "",
            activity=int(r["activity"] or 0),
            at_tariff=r["at_tariff"],
            expected=not r["invoiced"],
        )

    # Block lines: a twelfth a month while in force, by registered patients.
    registered = registered_by_quarter(con)
    for line in year_lines:
        if line.kind != BLOCK:
            continue
        c = line.contract
        codes = [code for code, p in builder.practices.items() if p.locality.pct_id == c.pct_id]
        charges = contracts.block_charges_to(
            line.annual_value,
            year_start(c.financial_year),
            report_month,
            {code: registered.get(code, []) for code in codes},
            starts=line.starts,
            ends=line.ends,
        )
        for charge in charges:
            builder.add(
                charge.practice, charge.month, line.budget_line, SpendFact.Source.BLOCK,
                charge.amount, provider=c.provider, recurrent=True,
            )  # fmt: skip

    # Prescribing: actual where it has arrived, estimated after.
    lag = int(FinanceSetting.in_force("prescribing_lag_months", report_month))
    presc = con.to_pyarrow(
        spend.prescribing_summary(wh.table(con, "prescribing"), start, end)
    ).to_pylist()
    prescribed: dict[str, dict[dt.date, tuple[Decimal, int]]] = defaultdict(dict)
    for r in presc:
        prescribed[r["gp_practice_code"]][_date(r["month"])] = (
            r["actual_cost"],
            int(r["items"] or 0),
        )
    current_months = [m for m in months_of_year(fy) if m <= report_month]
    actual_prescribed: dict[str, set[dt.date]] = defaultdict(set)
    for row in rx.prescribing_spend(prescribed, current_months, report_month, lag):
        if row.estimated:
            builder.add(
                row.practice, row.month, BudgetLine.PRESCRIBING,
                SpendFact.Source.PRESCRIBING, row.cost, estimated=True,
            )  # fmt: skip
        else:
            actual_prescribed[row.practice].add(row.month)
            builder.add(
                row.practice, row.month, BudgetLine.PRESCRIBING,
                SpendFact.Source.PRESCRIBING, row.cost, activity=row.items,
            )  # fmt: skip

    # Prescribing price and volume: last year's and this year's actual months, each against the
    # same month a year earlier.
    changes: list[dict[str, Any]] = []
    for r in con.to_pyarrow(
        rx.price_volume_by_month(wh.table(con, "prescribing"), year_start(years[1]), end)
    ).to_pylist():
        m, p = _date(r["month"]), builder.practices.get(r["gp_practice_code"])
        if p is None or m not in actual_prescribed.get(p.code, set()):
            continue
        changes.append(
            {
                "practice_id": p.pk,
                "financial_year": builder.year_of(m),
                "month": m,
                "cost": r["cost_now"],
                "cost_last_year": r["cost_base"],
                "at_last_year_prices": r["at_base_prices"],
            }
        )

    # Services (the services app): paid enhanced-service claims by payment month on the
    # enhanced services line; cost-per-case provider returns by month covered on the community
    # and provider services line. The finance demo books no enhanced-service spend of its own,
    # so each paid claim is counted once, here.
    feeds = (
        (BudgetLine.ENHANCED_SERVICES, services_feeds.enhanced_services_spend_by_practice(years)),
        (BudgetLine.COMMUNITY, services_feeds.cost_per_case_spend_by_practice(years)),
    )
    for code in builder.practices:
        for year in years:
            through = report_month if year == fy else year_end(year)
            for line, by_practice in feeds:
                spent = by_practice.get(code, {})
                for m in months_of_year(year):
                    amount = spent.get(m)
                    if amount and m <= through:
                        builder.add(code, m, line, SpendFact.Source.OTHER, amount, recurrent=True)

    # Other spend and recoveries.
    for o in OtherSpend.objects.filter(month__gte=start, month__lte=end).select_related("practice"):
        builder.add(
            o.practice.code, o.month, o.line, SpendFact.Source.OTHER, o.amount,
            recurrent=o.recurrent,
        )  # fmt: skip
    for year in years:
        through = report_month if year == fy else year_end(year)
        for rec in agreed_recoveries(year, through):
            builder.add(
                rec.practice_code, rec.month, rec.budget_line, SpendFact.Source.RECOVERY,
                -rec.amount, recurrent=False,
            )  # fmt: skip

    with transaction.atomic():
        SpendFact.objects.filter(financial_year__in=years).delete()
        insert_rows(SpendFact, builder.facts)
        PrescribingChange.objects.filter(financial_year__in=years).delete()
        insert_rows(PrescribingChange, changes)
        run = RefreshRun.objects.create(
            month=report_month,
            facts=len(builder.facts),
            rows_costed=rows_costed,
        )
        run.finished_at = timezone.now()
        run.seconds = time.perf_counter() - started
        run.save()
        audit.record(
            user,
            "refresh",
            None,
            detail=f"finance refresh {report_month:%Y-%m}: {rows_costed} rows costed, "
            f"{len(builder.facts)} facts for {', '.join(years)}",
        )
    return run
