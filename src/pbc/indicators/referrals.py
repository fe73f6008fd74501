"""The referral management page of a locality (issue 19 item 3): for one redesign specialty
and financial year, each practice's GP referrals standardised for age and sex, its
new-to-follow-up ratio against the benchmark, and the locality's referrals before and after
the redesign's start date with the change's confidence interval.

The figures are computed from the warehouse when the page is asked for
(`pbc.analytics.referrals`), against every practice in the warehouse as the reference. The
benchmark ratio is the PCT's new-to-follow-up cap for the year and treatment function
(`follow_up_caps`): pbc holds no national benchmark ratios from a published source.
Aggregates only: no patient rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from pbc import periods
from pbc.analytics import referrals as rf
from pbc.orgs.models import Locality
from pbc.orgs.roles import Permission
from pbc.stats import rate_ratio
from pbc.stats.intervals import Interval
from pbc.web.rules import requires

DEFAULT_YEAR = "2008/09"


@dataclass
class BeforeAfter:
    start: dt.date
    months: int
    before: tuple[float, float]  # referrals, person-years
    after: tuple[float, float]
    change: Interval | None  # rate after / rate before

    @property
    def before_rate(self) -> float | None:
        return self.before[0] / self.before[1] * 1000 if self.before[1] else None

    @property
    def after_rate(self) -> float | None:
        return self.after[0] / self.after[1] * 1000 if self.after[1] else None


@dataclass
class ReferralPage:
    specialty: str
    codes: tuple[str, ...]
    year: str
    ratios: list[rf.ReferralRatio]
    follow_ups: list[rf.FollowUpLine]
    before_after: BeforeAfter


def build(
    locality: Locality, specialty: str, year: str, start: dt.date, months: int
) -> ReferralPage:
    from pbc.warehouse import engine as wh

    codes = rf.REDESIGN_SPECIALTIES[specialty]
    first = periods.year_start(year)
    last = periods.add_months(first, 11)
    practices = sorted(locality.practices.values_list("code", flat=True))
    con = wh.connect()
    referrals, patients = wh.table(con, "referrals"), wh.table(con, "patients")
    list_sizes, op = wh.table(con, "list_sizes"), wh.table(con, "op")
    rows = con.to_pyarrow(
        rf.standardised_referrals(referrals, patients, list_sizes, codes, first, last)
    ).to_pylist()
    ratios = rf.referral_ratios(r for r in rows if r["gp_practice_code"] in practices)
    attendances = con.to_pyarrow(rf.new_to_follow_up(op, codes, first, last)).to_pylist()
    caps = wh.table(con, "follow_up_caps")
    caps = caps.filter(
        (caps.commissioner_code == locality.pct.code) & (caps.financial_year == year)
    )
    benchmarks = {
        r["treatment_function_code"]: float(r["follow_up_ratio_cap"])
        for r in con.to_pyarrow(caps).to_pylist()
    }
    follow_ups = rf.against_benchmark(
        (r for r in attendances if r["gp_practice_code"] in practices), benchmarks
    )
    windows = {
        r["period"]: (float(r["referrals"]), float(r["person_years"]))
        for r in con.to_pyarrow(
            rf.before_after(referrals, list_sizes, codes, start, months, practices)
        ).to_pylist()
    }
    before, after = windows.get("before", (0.0, 0.0)), windows.get("after", (0.0, 0.0))
    change = rate_ratio(after[0], after[1], before[0], before[1])
    return ReferralPage(
        specialty,
        codes,
        year,
        ratios,
        follow_ups,
        BeforeAfter(start, months, before, after, change),
    )


def _start(value: str | None, year: str) -> dt.date:
    month = periods.month_or_none(value)
    return month if month is not None else periods.add_months(periods.year_start(year), 6)


@requires(Permission.VIEW_LOCALITY, scope="locality")
def referrals_page(request: HttpRequest, locality: Locality) -> HttpResponse:
    """?specialty=dermatology&year=2008/09&start=2008-10&months=6"""
    specialty = request.GET.get("specialty", "dermatology")
    if specialty not in rf.REDESIGN_SPECIALTIES:
        specialty = "dermatology"
    year = request.GET.get("year", DEFAULT_YEAR)
    try:
        periods.year_start(year)
    except ValueError:
        year = DEFAULT_YEAR
    months = request.GET.get("months", "6")
    span = int(months) if months.isdigit() and 1 <= int(months) <= 24 else 6
    page = build(locality, specialty, year, _start(request.GET.get("start"), year), span)
    context: dict[str, Any] = {
        "title": f"{locality.name}: referrals to {specialty.replace('-', ' ')}",
        "locality": locality,
        "page": page,
        "specialties": list(rf.REDESIGN_SPECIALTIES),
        "breadcrumbs": [
            {"text": "Home", "href": reverse("home")},
            {"text": "Indicators", "href": reverse("indicators_locality", args=[locality.slug])},
        ],
    }
    return render(request, "indicators/referrals.jinja", context)
