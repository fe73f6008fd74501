"""Spec tests of the indicators from aggregate data (QOF, RTT returns, A&E), on every engine:
recomputed from the parts, checked against the published figures of the real samples and
against hand-worked cases."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import ibis
import pytest

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from pbc.analytics.indicators import aggregates as agg
from pbc.analytics.indicators import rtt

ROOT = Path(__file__).resolve().parents[2]


def sample(relative: str) -> Path:
    """A real published sample from `shared/real-samples` beside the repository (or beside the
    folder holding a git worktree); missing, the test fails loudly."""
    for parent in [ROOT, *ROOT.parents]:
        path = parent / "shared" / "real-samples" / relative
        if path.is_file():
            return path
    raise FileNotFoundError(relative)


def rows_of(relative: str) -> list[dict[str, str]]:
    with open(sample(relative), encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


QOF = "qof/qof_prevalence_by_practice_sample.csv"
RTT = "rtt/rtt_incomplete_pct_treatment_function_2010.csv"
AE = "ae/ae_attendances_by_provider.csv"


# --- QOF -----------------------------------------------------------------------------------------


def test_prevalence_is_register_over_list_size_in_per_cent() -> None:
    assert agg.prevalence(170, 4178) == pytest.approx(4.0689325036, abs=1e-9)
    assert agg.prevalence(0, 100) == 0
    assert agg.prevalence(5, 0) is None


def test_qof_prevalence_equals_the_published_figure_on_every_row(engine: Any) -> None:  # noqa: F811
    rows = rows_of(QOF)
    t = ibis.memtable(
        {
            "row": list(range(len(rows))),
            "register": [int(r["disease_register_size"]) for r in rows],
            "list_size": [int(r["practice_listsize"]) for r in rows],
        }
    )
    got = engine.execute(agg.qof_with_prevalence(t).order_by("row"))
    assert len(got) == len(rows) == 96
    for r, value in zip(rows, got["prevalence"], strict=True):
        assert value == pytest.approx(float(r["prevalence"]), abs=1e-6), r


def test_register_comparison_from_qof_counts() -> None:
    rows = [
        {
            "gp_practice_code": r["practicecode"],
            "indicator_group": r["indicator_group"],
            "register_description": r["Register_description"],
            "register": int(r["disease_register_size"]),
            "list_size": int(r["practice_listsize"]),
        }
        for r in rows_of(QOF)
    ]
    found = agg.compare_registers(rows)
    assert set(found) == {"diabetes", "copd", "heart_failure", "chd", "hypertension"}
    hf = found["heart_failure"]
    # the HF register, not the "due to LVD" one published beside it
    assert hf.register == 48 + 202 + 34 + 62
    assert hf.denominator == 4178 + 19837 + 3525 + 8829
    # expected registers at the pooled prevalence add up to the observed total
    assert sum(p.expected for p in hf.practices) == pytest.approx(hf.register)
    a81001 = next(p for p in hf.practices if p.gp_practice_code == "A81001")
    assert a81001.prevalence.value == pytest.approx(48 / 4178 * 100)
    assert a81001.expected == pytest.approx(4178 * hf.register / hf.denominator)
    assert a81001.ratio is not None
    assert a81001.ratio.value == pytest.approx(48 / a81001.expected * 100)
    assert hf.funnel and all(lim.lower_95 < 100 < lim.upper_95 for lim in hf.funnel)


# --- RTT -----------------------------------------------------------------------------------------


def rtt_sample() -> tuple[list[str], list[list[str]]]:
    with open(sample(RTT), encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def bands_of(header: list[str], row: list[str]) -> list[agg.Band]:
    out = []
    for name, cell in zip(header, row, strict=True):
        if name.startswith(">"):
            lo, hi = name[1:].split("-")
            out.append(agg.Band(int(lo), int(hi), int(cell)))
        elif name.endswith(" plus"):
            out.append(agg.Band(int(name.split()[0]), None, int(cell)))
    return out


def test_rtt_percent_within_18_weeks_recomputed_from_the_bands_on_every_row() -> None:
    header, rows = rtt_sample()
    assert len(rows) == 3060
    for row in rows:
        bands = bands_of(header, row)
        assert len(bands) == 53
        got = agg.summarise_returns(bands)
        record = dict(zip(header, row, strict=True))
        assert got.pathways == int(record["Total number of incomplete pathways"])
        published = float(record["% within 18 weeks"]) if got.pathways else None
        if published is None:
            assert got.percent_within_18_weeks is None
        else:
            assert got.percent_within_18_weeks is not None
            assert got.percent_within_18_weeks / 100 == pytest.approx(published, abs=1e-6), row


def test_median_and_95th_percentile_interpolated_in_the_bands_by_hand() -> None:
    # >0-1: 2, >1-2: 4, >2-3: 2, 3 plus: 2 (N = 10)
    bands = [agg.Band(0, 1, 2), agg.Band(1, 2, 4), agg.Band(2, 3, 2), agg.Band(3, None, 2)]
    got = agg.summarise_returns(bands)
    # median, as NHS England publishes it, at rank (N + 1) / 2 = 5.5; 2 before the >1-2 band,
    # which holds 4: 1 + (5.5 - 2) / 4 = 1.875 weeks (at N / 2 it would be 1.75)
    assert got.median == pytest.approx(1.875)
    # 95th: pN = 9.5 lies in the open "3 plus" band: no value
    assert got.p95 is None
    assert rtt.percentile_interpolated(agg.band_counts(bands), 0.8) == pytest.approx(3.0)
    # with an empty open band, the 95th: pN = 7.6, 6 before >2-3 (2): 2 + 1.6 / 2 = 2.8
    closed = [agg.Band(0, 1, 2), agg.Band(1, 2, 4), agg.Band(2, 3, 2), agg.Band(3, None, 0)]
    assert agg.summarise_returns(closed).p95 == pytest.approx(2.8)
    # % within 18 weeks counts bands up to 18 weeks
    edge = [agg.Band(17, 18, 3), agg.Band(18, 19, 1), agg.Band(52, None, 0)]
    assert agg.summarise_returns(edge).percent_within_18_weeks == pytest.approx(75.0)


def test_bands_must_be_one_week_wide() -> None:
    with pytest.raises(ValueError, match="one week wide"):
        agg.band_counts([agg.Band(0, 2, 1)])


def test_rtt_returns_summed_over_commissioners_on_every_engine(engine: Any) -> None:  # noqa: F811
    header, rows = rtt_sample()
    chosen = [r for r in rows if r[4] in ("IP100", "IP110")][:40]
    long: dict[str, list[Any]] = defaultdict(list)
    for row in chosen:
        for b in bands_of(header, row):
            long["month"].append(dt.date(2010, 3, 1))
            long["pathway_type"].append("incomplete")
            long["commissioner_code"].append(row[2])
            long["treatment_function_code"].append(row[4][2:])
            long["weeks_from"].append(b.weeks_from)
            long["weeks_to"].append(b.weeks_to)
            long["pathways"].append(b.pathways)
    t = ibis.memtable(
        long,
        schema={
            "month": "date",
            "pathway_type": "string",
            "commissioner_code": "string",
            "treatment_function_code": "string",
            "weeks_from": "int64",
            "weeks_to": "int64",
            "pathways": "int64",
        },
    )
    got = engine.execute(agg.returns_bands(t, ["treatment_function_code"]))
    groups = agg.bands_by_group(got.to_dict("records"), ["treatment_function_code"])
    for code in ("100", "110"):
        mine = [r for r in chosen if r[4] == f"IP{code}"]
        total = sum(int(r[-3]) for r in mine)
        within = sum(int(r[-2]) for r in mine)
        summary = agg.summarise_returns(groups[(code,)])
        assert summary.pathways == total
        assert summary.within_18_weeks == within


def test_commissioner_codes_in_their_five_character_form() -> None:
    assert agg.commissioner_pct("5P200") == "5P2"
    assert agg.commissioner_pct("5P2") == "5P2"
    assert agg.commissioner_pct("YDD82") == "YDD82"
    assert agg.commissioner_pct("") is None


# --- A&E -----------------------------------------------------------------------------------------


def test_four_hour_percent() -> None:
    assert agg.four_hour_percent(200, 10) == pytest.approx(95.0)
    assert agg.four_hour_percent(0, 0) is None


def test_ae_four_hour_performance_equals_a_plain_recomputation(engine: Any) -> None:  # noqa: F811
    rows = [r for r in rows_of(AE) if r["period"] in ("2017-03-01", "2018-03-01")]
    long: dict[str, list[Any]] = defaultdict(list)
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        kind = {"1": "01", "2": "02"}.get(r["type"], "other")
        for measure, column in (("attendances", "attendances"), ("over_4_hours", "breaches")):
            long["month"].append(dt.date.fromisoformat(r["period"]))
            long["provider_code"].append(r["org_code"])
            long["department_type"].append(kind)
            long["measure"].append(measure)
            long["count"].append(int(r[column]))
        e = expected[(r["org_code"], r["period"])]
        e[0] += int(r["attendances"])
        e[1] += int(r["breaches"])
    t = ibis.memtable(
        long,
        schema={
            "month": "date",
            "provider_code": "string",
            "department_type": "string",
            "measure": "string",
            "count": "int64",
        },
    )
    got = engine.execute(agg.ae_performance(t))
    assert len(got) == len(expected)
    for r in got.to_dict("records"):
        a, o = expected[(r["provider_code"], str(agg.month_of(r["month"])))]
        assert (r["attendances"], r["over_4_hours"]) == (a, o)
        assert r["four_hour_percent"] == pytest.approx((a - o) / a * 100, abs=1e-9)
    type1 = engine.execute(agg.ae_performance(t, types=["01"]))
    rf4 = type1[(type1.provider_code == "RF4")].sort_values("month").iloc[0]
    assert (rf4["attendances"], rf4["over_4_hours"]) == (21289, 2879)
