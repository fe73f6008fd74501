"""What the population pages show, computed from the warehouse on request (aggregates only).

- Registers are counted on the last day of the data (as QOF counts on 31 March) and compared
  with every practice in the warehouse as the reference population (the whole PCT area), so a
  locality's practices are judged against the same standard.
- Where the warehouse has no patient register, the registers come from the published QOF
  counts (`qof_prevalence`, the latest QOF year loaded): prevalence = register / list size and
  a comparison standardised for list size only (QOF has no age/sex breakdown;
  `pbc.analytics.indicators.aggregates.compare_registers`). The patient register wins wherever
  it exists; the page says which source it shows.
- Life expectancy is shown for the locality and for its PCT's practices together, every
  financial year the deaths cover. A locality's most deprived fifth is often too small for a
  valid life table in a single year (5,000 people or fewer); the page then says so and the PCT
  figures carry the trend.

Results are cached in the process, keyed by the data directory and the latest warehouse import
(`pbc.imports.queries.latest_import`), so a page is computed once per import, not once per view
(the full-scale registers take a few seconds: ISR and exact Poisson funnel limits for five
registers).

Plotly figures are plain dicts (drawn by the page with the locally served plotly.min.js).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd
from django.conf import settings

from pbc.analytics.indicators import aggregates as agg
from pbc.analytics.population import inequalities as iq
from pbc.analytics.population import registers as reg
from pbc.analytics.population.cohort import CONDITION_LABELS
from pbc.imports.queries import latest_import
from pbc.periods import FinancialYear
from pbc.warehouse import engine as wh
from pbc.web.charts import GREY, chart_layout, funnel_limit_traces

BLUE = "#005eb8"
ORANGE = "#ed8b00"
DARK = "#212b32"


def _table(con: Any, name: str) -> Any:
    return wh.table(con, name, data_dir=settings.DATA_DIR)


def data_end(con: Any) -> dt.date | None:
    """The last day of the data: the latest discharge date in the warehouse."""
    last = _table(con, "apc").discharge_date.max().execute()
    if last is None or pd.isna(last):
        return None
    return pd.Timestamp(last).date()


PATIENT_REGISTER = "patient register"
QOF = "QOF"


@dataclass(frozen=True)
class Registers:
    on: dt.date
    comparisons: dict[str, reg.RegisterComparison]
    practices: tuple[str, ...]  # the codes shown, in order
    source: str = PATIENT_REGISTER  # or QOF: the published register counts

    def rows(self, condition: str) -> list[reg.PracticeRegister]:
        comparison = self.comparisons.get(condition)
        if comparison is None:
            return []
        return [p for p in comparison.practices if p.gp_practice_code in self.practices]


def warehouse_version() -> tuple[str, int, str]:
    """Changes whenever an import is recorded (the cache key of the computed pages)."""
    pk, status = latest_import() or (0, "")
    return str(settings.DATA_DIR), pk, status


@lru_cache(maxsize=8)
def _all_registers(version: tuple[str, int, str]) -> tuple[dt.date, dict[str, Any], str] | None:
    con = wh.connect()
    on = data_end(con)
    if on is not None:
        cells = reg.by_age_sex(_table(con, "patients"), on).to_pandas()
        if len(cells):
            return on, reg.compare(cells.to_dict("records")), PATIENT_REGISTER
    return qof_registers(con)


def qof_registers(con: Any) -> tuple[dt.date, dict[str, Any], str] | None:
    """Register comparisons from the latest QOF year in the warehouse (counted at its 31 March)."""
    qof = _table(con, "qof_prevalence")
    latest = qof.year_start.max().execute()
    if latest is None or pd.isna(latest):
        return None
    year = pd.Timestamp(latest).date()
    rows = con.execute(qof.filter(qof.year_start == year)).to_dict("records")
    return FinancialYear.of(year).end, agg.compare_registers(rows), QOF


def registers_for(practice_codes: Sequence[str]) -> Registers | None:
    found = _all_registers(warehouse_version())
    if found is None:
        return None
    on, comparisons, source = found
    return Registers(on, comparisons, tuple(sorted(practice_codes)), source)


def register_funnel(
    comparison: reg.RegisterComparison,
    rows: Sequence[reg.PracticeRegister],
    names: dict[str, str],
    source: str = PATIENT_REGISTER,
) -> dict[str, Any]:
    basis = "list size, QOF" if source == QOF else "age/sex"
    colours = {"high": ORANGE, "low": BLUE}
    xs = [lim.denominator for lim in comparison.funnel]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Practices",
            "x": [r.expected for r in rows if r.ratio is not None],
            "y": [r.ratio.value for r in rows if r.ratio is not None],
            "text": [names.get(r.gp_practice_code, r.gp_practice_code) for r in rows if r.ratio],
            "marker": {
                "size": 9,
                "color": [colours.get(r.significance_95, GREY) for r in rows if r.ratio],
            },
            "hovertemplate": "%{text}: %{y:.0f}<extra></extra>",
        },
        {"type": "scatter", "mode": "lines", "name": "As expected (100)", "x": xs,
         "y": [100] * len(xs), "line": {"color": DARK}},
    ]  # fmt: skip
    data += funnel_limit_traces(xs, comparison.funnel)
    return {
        "data": data,
        "layout": chart_layout(
            f"{CONDITION_LABELS[comparison.condition]}: standardised ratio",
            {"title": f"Expected register size ({basis})"},
            {"title": "Observed / expected x 100"},
        ),
    }


@dataclass(frozen=True)
class Inequalities:
    locality: tuple[iq.YearLe, ...]
    pct: tuple[iq.YearLe, ...]
    # The IMD edition each year's quintiles come from (year label -> edition); empty when no
    # edition is loaded and the register's recorded quintile is used.
    editions: tuple[tuple[str, str], ...] = ()


def _years(
    con: Any, practices: Sequence[str], years: Sequence[int], editions: Sequence[str]
) -> tuple[iq.YearLe, ...]:
    patients, deaths = _table(con, "patients"), _table(con, "deaths")
    imd = _table(con, "imd_lsoa")
    out = []
    for y in years:
        edition = iq.edition_for(editions, y)
        areas = None if edition is None else iq.lsoa_quintiles(imd, edition)
        pops = iq.populations(patients, y, practices, areas).to_pandas().to_dict("records")
        dths = iq.deaths_in_year(deaths, y, practices, areas).to_pandas().to_dict("records")
        out.append(iq.year_life_expectancy(str(FinancialYear(y)), pops, dths))
    return tuple(out)


def imd_editions(con: Any) -> list[str]:
    """The IMD editions loaded into `imd_lsoa`, oldest first."""
    imd = _table(con, "imd_lsoa")
    return sorted(str(e) for e in imd.select("imd_edition").distinct().to_pandas()["imd_edition"])


def inequalities_for(locality_codes: Sequence[str], pct_codes: Sequence[str]) -> Inequalities:
    return _inequalities(
        tuple(sorted(locality_codes)), tuple(sorted(pct_codes)), warehouse_version()
    )


@lru_cache(maxsize=32)
def _inequalities(
    locality_codes: tuple[str, ...], pct_codes: tuple[str, ...], version: tuple[str, int, str]
) -> Inequalities:
    """Every whole financial year the activity covers (first to last discharge date: spells are
    invoiced, and partitioned, by discharge)."""
    con = wh.connect()
    apc = _table(con, "apc")
    span = apc.aggregate(first=apc.discharge_date.min(), last=apc.discharge_date.max()).to_pandas()
    first, last = span.iloc[0]["first"], span.iloc[0]["last"]
    if pd.isna(first) or pd.isna(last):
        return Inequalities((), ())
    years = iq.financial_years(pd.Timestamp(first).date(), pd.Timestamp(last).date())
    editions = imd_editions(con)
    used = tuple(
        (str(FinancialYear(y)), e) for y in years if (e := iq.edition_for(editions, y)) is not None
    )
    return Inequalities(
        _years(con, locality_codes, years, editions),
        _years(con, pct_codes, years, editions),
        used,
    )


def gap_figure(series: Mapping[str, Sequence[iq.YearLe]]) -> dict[str, Any]:
    """The gap (average minus most deprived fifth) by year, one line per area, with 95% bars,
    and each area's halving trajectory (`iq.halving_line`: from its baseline gap to half of it
    in 2010/11) dashed in the same colour, so each year's gap is seen against it."""
    data = []
    for (name, years), colour in zip(series.items(), (BLUE, ORANGE), strict=False):
        gaps = [(y.year, y.gap) for y in years if y.gap.value is not None]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [y for y, _ in gaps],
                "y": [g.value for _, g in gaps],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(g.upper or g.value) - g.value for _, g in gaps],  # type: ignore[operator]
                    "arrayminus": [g.value - (g.lower or g.value) for _, g in gaps],  # type: ignore[operator]
                },
                "line": {"color": colour},
            }
        )
        line = iq.halving_line(years)
        if line:
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{name}: halving trajectory (half by {line[-1][0]})",
                    "x": [y for y, _ in line],
                    "y": [round(v, 3) for _, v in line],
                    "line": {"color": colour, "dash": "dash"},
                }
            )
    return {
        "data": data,
        "layout": chart_layout(
            "Gap in life expectancy: average minus most deprived fifth, against halving it",
            {"title": "Financial year", "type": "category", "categoryorder": "category ascending"},
            {"title": "Years", "rangemode": "tozero"},
        ),
    }


QUINTILE_LABELS = {1: "Q1 (most deprived)", 2: "Q2", 3: "Q3", 4: "Q4", 5: "Q5", iq.ALL: "Average"}


def mortality_figure(series: Mapping[str, Sequence[iq.YearLe]]) -> dict[str, Any] | None:
    """All-cause mortality (directly standardised, per 100,000 a year) by deprivation quintile
    in the latest year any area has a rate: bars per area, with Dobson 95% limits as error
    bars (a lower limit the method does not give is drawn from zero). None when no area has a
    rate (every figure below 10 deaths)."""
    years = sorted(
        {
            y.year
            for ys in series.values()
            for y in ys
            if any(q.mortality is not None for q in y.quintiles)
        }
    )
    if not years:
        return None
    latest = years[-1]
    data = []
    for (name, ys), colour in zip(series.items(), (BLUE, ORANGE), strict=False):
        year = next((y for y in ys if y.year == latest), None)
        if year is None:
            continue
        order = [year.of(q) for q in (*iq.QUINTILES, iq.ALL)]
        rates = [q.mortality for q in order]
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": [QUINTILE_LABELS[q.quintile] for q in order],
                "y": [r.value if r else None for r in rates],
                "marker": {"color": colour},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [r.upper - r.value if r else 0 for r in rates],
                    "arrayminus": [
                        r.value - (r.lower if r.lower is not None else 0) if r else 0 for r in rates
                    ],
                },
            }
        )
    return {
        "data": data,
        "layout": chart_layout(
            f"All-cause mortality by deprivation quintile, {latest} (age-standardised, 95% CI)",
            {"title": "Deprivation quintile of the area lived in"},
            {"title": "Deaths per 100,000 a year (ESP 2013)", "rangemode": "tozero"},
            barmode="group",
        ),
    }


def quintile_figure(year: iq.YearLe, name: str) -> dict[str, Any]:
    bands = [q for q in year.quintiles if q.at_birth.value is not None]
    labels = ["Average" if q.quintile == iq.ALL else f"Q{q.quintile}" for q in bands]
    return {
        "data": [
            {
                "type": "bar",
                "x": labels,
                "y": [q.at_birth.value for q in bands],
                "marker": {"color": [DARK if q.quintile == iq.ALL else BLUE for q in bands]},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(q.at_birth.upper or 0) - (q.at_birth.value or 0) for q in bands],
                    "arrayminus": [
                        (q.at_birth.value or 0) - (q.at_birth.lower or 0) for q in bands
                    ],
                },
            }
        ],
        "layout": chart_layout(
            f"Life expectancy at birth, {name}, {year.year}",
            {"title": "Deprivation quintile (Q1 most deprived)"},
            {"title": "Years", "range": [60, 90]},
            legend=False,
        ),
    }


def calibration_figure(card: dict[str, Any]) -> dict[str, Any]:
    bins = card.get("calibration", [])
    top = max([b["mean_predicted"] for b in bins] + [b["observed"] for b in bins] + [0.01])
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": "Perfect calibration", "x": [0, top],
             "y": [0, top], "line": {"color": GREY, "dash": "dash"}},
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Risk deciles",
                "x": [b["mean_predicted"] for b in bins],
                "y": [b["observed"] for b in bins],
                "text": [f"decile {b['decile']}" for b in bins],
                "line": {"color": BLUE},
                "hovertemplate": "%{text}: predicted %{x:.1%}, observed %{y:.1%}<extra></extra>",
            },
        ],
        "layout": chart_layout(
            "Calibration on the held-out year",
            {"title": "Mean predicted risk", "tickformat": ".0%"},
            {"title": "Observed rate", "tickformat": ".0%"},
        ),
    }  # fmt: skip
