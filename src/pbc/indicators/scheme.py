"""The prescribing incentive scheme as the pages show it: a PCT's targets for a financial year
(`prescribing_targets`), each practice's achievement and payment, and the switch list
(`good_buys`) with each practice's potential saving, computed from the warehouse on request
by the pure functions of `pbc.analytics.indicators.incentive` (which documents the rules).

The figures are aggregates per practice (items, costs, list sizes), not patient rows; the
views choose which practices' rows a user sees."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
from django.conf import settings

from pbc.analytics.finance.contracts import list_size_by_quarter
from pbc.analytics.indicators import incentive as inc
from pbc.indicators import definitions as defs
from pbc.warehouse import engine as wh


@dataclass(frozen=True)
class Scheme:
    pct_code: str
    year_start: int | None
    years: tuple[int, ...]
    achievements: tuple[inc.Achievement, ...]
    payments: dict[str, Decimal]
    savings: tuple[inc.SwitchSaving, ...]
    practice_switches: tuple[inc.PracticeSwitch, ...]
    titles: dict[str, str]
    units: dict[str, str]
    problems: tuple[str, ...]  # targets on measures pbc cannot compute

    def for_practices(self, codes: Sequence[str]) -> Scheme:
        """The same scheme with only these practices' rows (the switch list's savings per item
        are the PCT's and stay)."""
        keep = set(codes)
        return Scheme(
            self.pct_code,
            self.year_start,
            self.years,
            tuple(a for a in self.achievements if a.practice in keep),
            {p: v for p, v in self.payments.items() if p in keep},
            self.savings,
            tuple(s for s in self.practice_switches if s.practice in keep),
            self.titles,
            self.units,
            self.problems,
        )

    @property
    def total_payment(self) -> Decimal:
        return sum(self.payments.values(), Decimal("0.00"))

    @property
    def total_potential_saving(self) -> Decimal:
        return sum((s.potential_saving for s in self.practice_switches), Decimal("0.00"))

    def saving_by_practice(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for s in self.practice_switches:
            out[s.practice] += s.potential_saving
        return dict(out)


def _table(con: Any, name: str) -> Any:
    return wh.table(con, name, data_dir=settings.DATA_DIR)


def _years(con: Any, pct_code: str) -> tuple[int, ...]:
    t = _table(con, "prescribing_targets")
    t = t.filter(t.commissioner_code == pct_code)
    starts = t.select("year_start").distinct().to_pandas()["year_start"]
    return tuple(sorted({int(str(s)[:4]) for s in starts}))


def scheme(
    pct_code: str,
    practices: Sequence[str],
    year_start: int | None = None,
    through: dt.date | None = None,
) -> Scheme:
    """The scheme of PCT `pct_code` (whose practices are `practices`) for the financial year
    starting in `year_start` (default: the latest year with targets), from the prescribing of
    the whole year, or of its months up to `through` (a month: the year so far)."""
    con = wh.connect()
    years = _years(con, pct_code)
    if year_start is None:
        year_start = years[-1] if years else None
    empty = Scheme(pct_code, year_start, years, (), {}, (), (), {}, {}, ())
    if year_start is None:
        return empty
    start = ibis.literal(dt.date(year_start, 4, 1), type="date")
    targets = _table(con, "prescribing_targets")
    targets = targets.filter(
        targets.commissioner_code == pct_code, targets.year_start == start
    ).to_pandas()
    prescribing = _table(con, "prescribing")
    prescribing = prescribing.filter(prescribing.gp_practice_code.isin(list(practices)))
    if through is not None:
        last = ibis.literal(through.replace(day=1), type="date")
        prescribing = prescribing.filter(prescribing.month <= last)
    sizes = list_size_by_quarter(_table(con, "list_sizes"))
    sizes = sizes.filter(sizes.gp_practice_code.isin(list(practices))).order_by("quarter_start")
    series: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
    for r in sizes.to_pandas().to_dict("records"):
        series[r["gp_practice_code"]].append((_date(r["quarter_start"]), int(r["registered"])))

    achievements: list[inc.Achievement] = []
    problems: list[str] = []
    titles: dict[str, str] = {}
    units: dict[str, str] = {}
    for indicator, rows in targets.groupby("indicator_id", sort=True):
        definition = defs.get(str(indicator))
        if definition is None or not definition.prescribing_measure:
            problems.append(f"{indicator}: not a prescribing measure of the catalogue")
            continue
        titles[definition.id], units[definition.id] = definition.title, definition.unit
        num = _items(prescribing, year_start, definition.numerator)
        den = _items(prescribing, year_start, definition.denominator)
        for r in rows.sort_values("gp_practice_code").to_dict("records"):
            practice = str(r["gp_practice_code"])
            target = inc.Target(
                practice,
                definition.id,
                float(r["target_value"]),
                Decimal(str(r["payment_per_patient"])),
            )
            achievements.append(
                inc.achievement(
                    target,
                    num.get(practice, 0),
                    den.get(practice, 0),
                    inc.list_size_at_year_end(series.get(practice, []), year_start),
                    multiplier=definition.multiplier,
                    polarity="increase" if definition.polarity == "increase" else "decrease",
                )
            )
    buys = _table(con, "good_buys")
    buys = buys.filter(buys.commissioner_code == pct_code, buys.year_start == start).to_pandas()
    switches = [
        inc.Switch(
            r["from_bnf_code"], r["from_name"], r["to_bnf_code"], r["to_name"], r["note"] or ""
        )  # fmt: skip
        for r in buys.sort_values(["from_bnf_code", "to_bnf_code"]).to_dict("records")
    ]
    codes = sorted({s.from_code for s in switches} | {s.to_code for s in switches})
    totals = inc.presentation_totals(prescribing, year_start, codes).to_pandas()
    savings, per_practice = inc.switch_savings(switches, totals.to_dict("records"))
    return Scheme(
        pct_code,
        year_start,
        years,
        tuple(achievements),
        inc.practice_payments(achievements),
        tuple(savings),
        tuple(per_practice),
        titles,
        units,
        tuple(problems),
    )


def _items(prescribing: Any, year_start: int, part: Any) -> dict[str, int]:
    params = part.expression.params if part is not None and part.expression else {}
    prefixes = list(params.get("bnf_prefixes", ()))
    if not prefixes:
        return {}
    t = inc.measure_items(prescribing, year_start, prefixes, list(params.get("exclude", ())))
    return {str(r["gp_practice_code"]): int(r["items"]) for r in t.to_pandas().to_dict("records")}


def _date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
