"""The demo's periodic returns for the national measures (issue 19): plausible 2007/08 and
2008/09 figures for both PCTs (and their acute trusts, for infections), written as Parquet in
each return's own layout and imported through the same import path a PCT analyst's upload
takes (`pbc.imports.actions`: whole file, recorded). Each PCT's 2003/04 MRSA count, which
predates the returns, is entered as its dated baseline by the PCT's analyst, as a real PCT's
analyst would (audited).

The figures are drawn from a seeded generator around levels of the period (England, 2007-09):
MRSA a few cases a month and falling, C. difficile falling by about a third, child measurement
coverage near 90% with 9-10% of reception and 17-18% of year 6 obese, chlamydia coverage rising
from about 6% to 15% a year, the 31- and 62-day cancer standards mostly met, TIA within 7 days
rising, thrombolysis within 3 hours for most of those thrombolysed and call to needle within 60
minutes for a third, HPV three-dose uptake near 80%, breastfeeding at 6-8 weeks near half,
adult smoking near 21% and about half of patients recalling an offer of choice. They are
illustrations, not any PCT's published figures."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from pbc.imports.actions import import_unless_unchanged
from pbc.imports.models import ImportRun
from pbc.periods import add_months
from pbc.warehouse.datasets_returns import RETURN_DATASETS
from pbc.warehouse.schema import Dataset

D = dt.date
SEED = 2009
FIRST_MONTH, LAST_MONTH = D(2007, 4, 1), D(2009, 3, 1)
# (PCT, its acute trust, size: the PCT's population relative to West Hertfordshire's)
PCTS = (("5P3", "RWG", 1.0), ("5P2", "RWH", 0.95))
# Each PCT's 2003/04 MRSA bacteraemia count (the baseline the target halves), entered by its
# analyst; and each trust's (trust-apportioned cases).
MRSA_BASELINES = {"5P3": 52.0, "5P2": 46.0}
MRSA_TRUST_BASELINES = {"RWG": 40.0, "RWH": 36.0}
ANALYSTS = {"5P3": "analyst", "5P2": "enh-analyst"}

Row = dict[str, Any]


def _months(step: int = 1, first: dt.date = FIRST_MONTH) -> list[dt.date]:
    out, month = [], first
    while month <= LAST_MONTH:
        out.append(month)
        month = add_months(month, step)
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw: Knuth's method for small means, the normal approximation above 30."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _binomial(rng: random.Random, n: int, p: float) -> int:
    """Of `n`, about `p` of them (normal approximation, kept within 0..n)."""
    sd = (n * p * (1 - p)) ** 0.5
    return max(0, min(n, round(rng.gauss(n * p, sd))))


def _progress(month: dt.date) -> float:
    """0 in April 2007 to 1 in March 2009: where a trend has got to."""
    return ((month.year - 2007) * 12 + month.month - 4) / 23


def hcai(rng: random.Random) -> list[Row]:
    rows = []
    for month in _months():
        t = _progress(month)
        for pct, trust, size in PCTS:
            for organism, pct_mean, trust_mean in (
                ("mrsa", 2.6 - 1.2 * t, 1.9 - 0.9 * t),
                ("c_difficile", 19 - 7 * t, 12 - 5 * t),
            ):
                for kind, code, mean in (("pct", pct, pct_mean), ("trust", trust, trust_mean)):
                    rows.append({"month": month, "organism": organism, "organisation_type": kind,
                                 "organisation_code": code, "cases": _poisson(rng, mean * size)})  # fmt: skip
    return rows


def ncmp(rng: random.Random) -> list[Row]:
    rows = []
    for year, coverage in ((D(2006, 4, 1), 0.84), (D(2007, 4, 1), 0.88)):
        for pct, _trust, size in PCTS:
            for school_year, eligible, overweight, obese in (
                ("reception", 5900, 0.13, 0.094),
                ("year_6", 5600, 0.142, 0.172),
            ):
                n = round(eligible * size)
                measured = _binomial(rng, n, coverage)
                rows.append({"year_start": year, "commissioner_code": pct,
                             "school_year": school_year, "eligible": n, "measured": measured,
                             "overweight": _binomial(rng, measured, overweight),
                             "obese": _binomial(rng, measured, obese)})  # fmt: skip
    return rows


def chlamydia(rng: random.Random) -> list[Row]:
    rows = []
    for quarter in _months(3):
        annual = 0.06 + 0.09 * _progress(quarter)  # coverage a year: 6% to 15%
        for pct, _trust, size in PCTS:
            for sex, share, positivity in (("female", 0.66, 0.085), ("male", 0.34, 0.09)):
                for age, population in (("15-19", 16800), ("20-24", 15600)):
                    pop = round(population * size)
                    tests = _binomial(rng, pop, annual / 4 * share * 2)
                    rows.append({"quarter_start": quarter, "commissioner_code": pct, "sex": sex,
                                 "age_group": age, "population": pop, "tests": tests,
                                 "positives": _binomial(rng, tests, positivity)})  # fmt: skip
    return rows


def cancer_waits(rng: random.Random) -> list[Row]:
    rows = []
    for month in _months():
        for pct, _trust, size in PCTS:
            # no two-week-wait rows: the demo's PCTs have referral-level two-week waits, which
            # win over a return's, and a month without one would mix a PCT-wide figure into
            # the series of the test scale's sample of patients
            for standard, total, within in (
                ("31_day", 85, 0.975),
                ("62_day", 42, 0.88),
            ):
                n = _poisson(rng, total * size)
                rows.append({"month": month, "standard": standard, "commissioner_code": pct,
                             "total": n, "within_target": _binomial(rng, n, within)})  # fmt: skip
    return rows


def stroke(rng: random.Random) -> list[Row]:
    rows = []
    for quarter in _months(3):
        t = _progress(quarter)
        for pct, _trust, size in PCTS:
            referred = _poisson(rng, 65 * size)
            thrombolysed = max(1, _poisson(rng, (4 + 4 * t) * size))
            rows.append({
                "quarter_start": quarter, "commissioner_code": pct, "tia_referred": referred,
                "tia_seen_within_7_days": _binomial(rng, referred, 0.45 + 0.25 * t),
                "thrombolysed": thrombolysed,
                "thrombolysed_within_3_hours": _binomial(rng, thrombolysed, 0.85),
                "call_to_needle_within_60_minutes": _binomial(rng, thrombolysed, 0.25 + 0.1 * t),
            })  # fmt: skip
    return rows


def hpv(rng: random.Random) -> list[Row]:
    rows = []
    for pct, _trust, size in PCTS:  # the programme started in September 2008
        eligible = round(3100 * size)
        first = _binomial(rng, eligible, 0.9)
        rows.append({"year_start": D(2008, 4, 1), "commissioner_code": pct, "cohort": "routine",
                     "eligible": eligible, "first_dose": first,
                     "three_doses": _binomial(rng, first, 0.89)})  # fmt: skip
    return rows


def breastfeeding(rng: random.Random) -> list[Row]:
    rows = []
    for quarter in _months(3):
        t = _progress(quarter)
        for pct, _trust, size in PCTS:
            due = _poisson(rng, 1650 * size)
            recorded = _binomial(rng, due, 0.86 + 0.1 * t)
            rows.append({"quarter_start": quarter, "commissioner_code": pct, "infants_due": due,
                         "status_recorded": recorded,
                         "breastfed": _binomial(rng, recorded, 0.5 + 0.04 * t)})  # fmt: skip
    return rows


def smoking_survey(rng: random.Random) -> list[Row]:
    rows = []
    for year, prevalence in ((D(2007, 4, 1), 0.222), (D(2008, 4, 1), 0.211)):
        for pct, _trust, _size in PCTS:
            respondents = 2400 + rng.randrange(400)
            rows.append({"year_start": year, "commissioner_code": pct,
                         "respondents": respondents,
                         "smokers": _binomial(rng, respondents, prevalence)})  # fmt: skip
    return rows


def choice(rng: random.Random) -> list[Row]:
    rows = []
    for wave in _months(2, D(2007, 5, 1)):  # a wave every two months, May 2007 to March 2009
        for pct, _trust, size in PCTS:
            respondents = _poisson(rng, 420 * size)
            rows.append({"month": wave, "commissioner_code": pct, "respondents": respondents,
                         "offered_choice": _binomial(rng, respondents, 0.47)})  # fmt: skip
    return rows


# In import order; each from its own seeded generator, so one return's figures never move
# another's.
RETURNS: dict[str, Callable[[random.Random], list[Row]]] = {
    "hcai_returns": hcai,
    "ncmp_returns": ncmp,
    "chlamydia_returns": chlamydia,
    "cancer_waits_returns": cancer_waits,
    "stroke_returns": stroke,
    "hpv_returns": hpv,
    "breastfeeding_returns": breastfeeding,
    "smoking_survey_returns": smoking_survey,
    "choice_returns": choice,
}


def rows(dataset: str) -> list[Row]:
    return RETURNS[dataset](random.Random(f"{SEED}:{dataset}"))


def _write(folder: Path, dataset: Dataset) -> Path:
    types = {"date": pa.date32(), "string": pa.string(), "int": pa.int64()}
    schema = pa.schema([(f.name, types[f.type]) for f in dataset.fields])
    path = folder / f"{dataset.name}.parquet"
    pq.write_table(pa.Table.from_pylist(rows(dataset.name), schema=schema), path)
    return path


def enter_baselines() -> None:
    """Each PCT's analyst enters the 2003/04 MRSA counts of the PCT and its trust (audited)."""
    from django.contrib.auth import get_user_model

    from pbc.indicators import actions
    from pbc.indicators.models import Baseline

    source = "Health Protection Agency, MRSA bacteraemia 2003/04 (demo figure)"
    for pct, trust, _size in PCTS:
        user = get_user_model().objects.get(username=ANALYSTS[pct])
        for indicator, level, code, value in (
            ("mrsa-bacteraemia", "pct", pct, MRSA_BASELINES[pct]),
            ("mrsa-bacteraemia-trust", "provider", trust, MRSA_TRUST_BASELINES[trust]),
        ):
            if not Baseline.objects.filter(
                indicator_id=indicator, level=level, org_code=code, value=value
            ).exists():
                actions.set_baseline(user, indicator, level, code, "2003/04", value, source)


def load(scale: str) -> tuple[int, int]:
    """Write and import every return (a file already imported unchanged is skipped), then
    enter the MRSA baselines. Returns (rows loaded, files imported). The figures are the same
    at both scales: a return is a whole PCT's."""
    folder = Path(settings.DATA_DIR) / "demo-source" / scale / "returns"
    folder.mkdir(parents=True, exist_ok=True)
    by_name = {d.name: d for d in RETURN_DATASETS}
    loaded = imported = 0
    for name in RETURNS:
        path = _write(folder, by_name[name])
        run, result = import_unless_unchanged(name, path, via="demo")
        if run.status != ImportRun.Status.LOADED:
            raise RuntimeError(f"demo import of {name} was refused: {run.message}")
        loaded += run.rows_loaded
        imported += result is not None
    enter_baselines()
    return loaded, imported
