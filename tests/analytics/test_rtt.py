"""RTT spec tests: week bands at their edges, nullified clocks, incomplete snapshots, exact and
interpolated percentiles, the published layout and the 17-week watch list, on every engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from indicators import handmade
from pbc.analytics.indicators import rtt

D = dt.date


@pytest.mark.parametrize(
    ("days", "band"),
    [(0, 0), (1, 0), (7, 0), (8, 1), (14, 1), (15, 2), (119, 16), (120, 17), (126, 17),
     (127, 18), (364, 51), (365, 52), (1000, 52)],
)  # fmt: skip
def test_week_band_edges(days: int, band: int) -> None:
    assert rtt.week_band(days) == band


def test_band_labels_are_the_published_ones() -> None:
    labels = rtt.band_labels()
    assert labels[0] == ">0-1" and labels[17] == ">17-18" and labels[-1] == "52 plus"
    assert len(labels) == len(rtt.band_columns()) == 53


def test_week_band_expression_matches_python(engine: Any) -> None:  # noqa: F811
    days = list(range(0, 400))
    t = ibis.memtable({"d": days}, schema={"d": "int64"})
    got = engine.execute(t.select("d", band=rtt.week_band_expr(t.d)).order_by("d"))
    assert list(got["band"]) == [rtt.week_band(d) for d in days]


def _rtt(engine: Any) -> ibis.Table:  # noqa: F811
    return handmade.tables()["rtt"]


def test_completed_waits_exclude_nullified_clocks(engine: Any) -> None:  # noqa: F811
    w = engine.execute(rtt.completed_waits(_rtt(engine), "admitted").order_by("pathway_id"))
    assert list(w["pathway_id"]) == ["P1", "P2"]  # P3's clock was nullified (DNA)
    assert list(w["wait_days"]) == [126, 127]
    layout = engine.execute(rtt.published_layout(rtt.completed_waits(_rtt(engine), "admitted"), []))
    row = layout.iloc[0]
    assert row["weeks_17_18"] == 1 and row["weeks_18_19"] == 1  # 126 days is within 18 weeks
    assert row["within_18_weeks"] == 1 and row["total_pathways"] == 2


def test_incomplete_snapshots_at_month_ends(engine: Any) -> None:  # noqa: F811
    w = rtt.waits(_rtt(engine), "incomplete", [D(2008, 10, 1), D(2008, 11, 1)])
    got = engine.execute(w.order_by(["month", "pathway_id"]))
    octo = got[got["month"].astype(str).str.startswith("2008-10")]
    nov = got[got["month"].astype(str).str.startswith("2008-11")]
    # 31 October: P1 and P2 (stopped in November), P4 (stopped 10 Nov) and P5 were open
    assert list(octo["pathway_id"]) == ["P1", "P2", "P4", "P5"]
    assert list(octo["wait_days"]) == [122, 122, 11, 122]
    assert list(nov["pathway_id"]) == ["P5", "P6"]
    assert list(nov["wait_days"]) == [152, 15]


def test_watch_list_from_17_weeks(engine: Any) -> None:  # noqa: F811
    got = engine.execute(rtt.breach_watch_list(_rtt(engine), D(2008, 10, 28)))
    # at 28 October P1, P2 and P5 had waited 119 days (17 weeks exactly): all listed
    assert sorted(got["pathway_id"]) == ["P1", "P2", "P5"]
    assert set(got["weeks_waited"]) == {17} and set(got["days_to_breach"]) == {7}
    earlier = engine.execute(rtt.breach_watch_list(_rtt(engine), D(2008, 10, 27)))
    assert len(earlier) == 0  # 118 days: not yet
    later = engine.execute(rtt.breach_watch_list(_rtt(engine), D(2008, 11, 30)))
    assert list(later["pathway_id"]) == ["P5"] and list(later["days_to_breach"]) == [-26]


def test_exact_percentile_matches_numpy() -> None:
    counts = {10: 3, 50: 1, 126: 2, 200: 4}
    flat = [d for d, n in counts.items() for _ in range(n)]
    for p in (0, 0.25, 0.5, 0.9, 0.95, 1):
        assert rtt.percentile_exact(counts, p) == pytest.approx(float(np.percentile(flat, 100 * p)))
    assert rtt.percentile_exact({}, 0.5) is None


@given(st.dictionaries(st.integers(0, 600), st.integers(1, 20), min_size=1, max_size=30),
       st.floats(0, 1))  # fmt: skip
def test_exact_percentile_property(counts: dict[int, int], p: float) -> None:
    flat = [d for d, n in counts.items() for _ in range(n)]
    assert rtt.percentile_exact(counts, p) == pytest.approx(float(np.percentile(flat, 100 * p)))


def test_interpolated_percentile_worked_example() -> None:
    # 10 pathways: 4 in >0-1, 4 in >1-2, 2 in >2-3 weeks.
    bands = [4, 4, 2] + [0] * 50
    # median: target 5 → band 1 (4 before, 4 in it): 1 + (5 - 4) / 4 = 1.25 weeks
    assert rtt.percentile_interpolated(bands, 0.5) == pytest.approx(1.25)
    # 95th: target 9.5 → band 2 (8 before, 2 in it): 2 + 1.5 / 2 = 2.75 weeks
    assert rtt.percentile_interpolated(bands, 0.95) == pytest.approx(2.75)
    # falling in the open "52 plus" band has no value
    assert rtt.percentile_interpolated([1] + [0] * 51 + [9], 0.5) is None


def test_summaries_from_days_and_from_bands_agree_on_18_weeks() -> None:
    counts = {0: 2, 7: 1, 8: 1, 126: 3, 127: 2, 400: 1}
    exact = rtt.summarise_days(counts)
    banded = rtt.summarise_bands(rtt.bands_from_days(counts))
    assert exact.pathways == banded.pathways == 10
    assert exact.within_18_weeks == banded.within_18_weeks == 7
    assert exact.percent_within_18_weeks == banded.percent_within_18_weeks == 70.0
    assert exact.unit == "days" and banded.unit == "weeks"
    assert exact.median == pytest.approx(126.0)
    # median from bands: target 5 lies in band 17 (4 before, 3 in it): 17 + 1/3 weeks
    assert banded.median == pytest.approx(17 + 1 / 3)
