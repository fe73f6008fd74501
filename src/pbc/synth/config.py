"""What to generate: the generator's parameters, the two demo scales, and date helpers.

Dates inside the generator are whole days since 1970-01-01 (numpy int64), which keeps every step
vectorised; they become Arrow `date32` only when tables are built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pbc.periods import month_end, parse_month
from pbc.synth import geography

EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class SynthConfig:
    """Parameters of one generation (mirrors `pbc synth`).

    - `population`: registered patients at the start date, shared between the practices of the
      chosen localities in proportion to their demo list sizes; None = the list sizes themselves.
    - `start`, `end`: first and last month ("YYYY-MM"), inclusive.
    - `localities`: locality slugs (None = all six).
    - `fault_rate`: share of eligible rows given each injected fault type (0 = clean baseline;
      natural faults still occur and are listed in the truth file).
    """

    population: int | None = None
    seed: int = 1
    start: str = "2005-04"
    end: str = "2009-03"
    localities: tuple[str, ...] | None = None
    fault_rate: float = 0.02

    def __post_init__(self) -> None:
        if self.population is not None and self.population < 100:
            raise ValueError("population must be at least 100")
        if not 0 <= self.fault_rate <= 0.2:
            raise ValueError("fault_rate must be between 0 and 0.2")
        if parse_month(self.end) < parse_month(self.start):
            raise ValueError("end month is before start month")
        for slug in self.locality_slugs:
            geography.locality(slug)  # raises KeyError for an unknown slug

    @property
    def locality_slugs(self) -> tuple[str, ...]:
        if self.localities:
            return tuple(self.localities)
        return tuple(loc.slug for _pct, loc in geography.all_localities())

    @property
    def start_day(self) -> int:
        return to_day(parse_month(self.start))

    @property
    def end_day(self) -> int:
        """Last day of the end month (inclusive)."""
        return to_day(month_end(parse_month(self.end)))


# Injected faults per fault type: at full scale 0.5% of eligible rows, which puts the money at
# stake in challengeable faults at the size the Dacorum plan reports (October to December 2007,
# "£283k of activity to challenge" in a locality of about 140,000 patients: hundreds of
# thousands a quarter, not millions). The test scale (4,000 patients) keeps 2% so that every
# rule still has rows to find.
FULL_SCALE_FAULT_RATE = 0.005
TEST_SCALE_FAULT_RATE = 0.02


def demo_scale(name: str) -> SynthConfig:
    """The two demo scales.

    - "full": all six localities at the geography's list sizes (about 340,000 patients),
      2005-04 to 2009-03.
    - "test": Dacorum and Welwyn Hatfield (`geography.TEST_SCALE_LOCALITIES`), 4,000 patients,
      same years; generated in a few seconds for the test suite.
    """
    if name == "full":
        return SynthConfig(
            population=None, seed=2009, localities=None, fault_rate=FULL_SCALE_FAULT_RATE
        )
    if name == "test":
        return SynthConfig(
            population=4000,
            seed=2009,
            localities=geography.TEST_SCALE_LOCALITIES,
            fault_rate=TEST_SCALE_FAULT_RATE,
        )
    raise ValueError(f"unknown demo scale {name!r}: use 'full' or 'test'")


def to_day(d: dt.date) -> int:
    return (d - EPOCH).days


def from_day(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def days_to_datetime64(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]")


def year_month(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar year and month (1-12) of each day number."""
    m = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return m // 12 + 1970, m % 12 + 1


def financial_year_start(days: np.ndarray) -> np.ndarray:
    """The calendar year in which each day's financial year (April to March) starts."""
    year, month = year_month(days)
    return np.where(month >= 4, year, year - 1)


def age_in_years(dob: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years of age on a day (both day numbers), exact to the calendar."""
    d = dob.astype("datetime64[D]")
    o = on.astype("datetime64[D]")
    dy = d.astype("datetime64[Y]").astype(np.int64)
    oy = o.astype("datetime64[Y]").astype(np.int64)
    d_doy = (d - d.astype("datetime64[Y]")).astype(np.int64)
    o_doy = (o - o.astype("datetime64[Y]")).astype(np.int64)
    # compare month/day via day-of-year in a leap-neutral way
    d_md = _month_day_key(d)
    o_md = _month_day_key(o)
    del d_doy, o_doy
    return oy - dy - (o_md < d_md).astype(np.int64)


def _month_day_key(d: np.ndarray) -> np.ndarray:
    m = d.astype("datetime64[M]")
    month = m.astype(np.int64) % 12
    day = (d - m.astype("datetime64[D]")).astype(np.int64)
    return month * 32 + day
