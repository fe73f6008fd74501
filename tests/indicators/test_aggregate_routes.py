"""Indicators from aggregate data (issue 15): where there are no patient-level rows the RTT
indicators come from the published RTT returns and A&E four-hour performance from the A&E
statistics; each value says which source it used, and the patient-level route wins wherever it
has data. Disease registers come from QOF counts when no patient register is loaded."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import ibis
import pytest
from django.test import Client

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from indicators import handmade
from pbc.analytics.indicators import compute as cp
from pbc.analytics.indicators import expressions as ex
from pbc.indicators import definitions as defs
from pbc.indicators import refresh
from pbc.indicators.models import IndicatorValue

ROOT = Path(__file__).resolve().parents[2]


def _values(engine: Any, indicator: str, aggregate: bool) -> list[cp.Value]:  # noqa: F811
    tables = handmade.tables()
    ctx = ex.Context(tables, handmade.MONTHS)
    units = cp.load_units(engine, tables["practices"], tables["providers"])
    d = defs.get(indicator)
    assert d is not None
    spec = d.aggregate_spec() if aggregate else d.compute_spec()
    assert spec is not None
    return cp.compute(spec, ctx, engine, units)


@pytest.mark.parametrize("indicator", sorted(handmade.EXPECTED_AGGREGATE))
def test_rtt_from_the_returns_on_every_engine(engine: Any, indicator: str) -> None:  # noqa: F811
    got = {(v.level, v.org_code, v.month): v for v in _values(engine, indicator, True)}
    # commissioners in the data, at PCT level, for the months in the data (5P300 read as 5P3)
    assert set(got) == {("pct", "5D7", handmade.NOV), ("pct", "5P3", handmade.NOV)}
    value = got[("pct", "5D7", handmade.NOV)].value
    assert value is not None
    assert math.isclose(value, handmade.EXPECTED_AGGREGATE[indicator], abs_tol=1e-9)
    if indicator == "rtt-admitted-18-weeks":
        west = got[("pct", "5P3", handmade.NOV)]
        assert (west.numerator, west.denominator, west.value) == (3, 4, 75.0)


def test_ae_four_hour_from_the_statistics_on_every_engine(engine: Any) -> None:  # noqa: F811
    provider, expected = handmade.EXPECTED_PROVIDER["ae-four-hour"]
    got = {(v.level, v.org_code, v.month): v for v in _values(engine, "ae-four-hour", False)}
    assert set(got) == {("provider", provider, handmade.NOV)}
    v = got[("provider", provider, handmade.NOV)]
    assert (v.numerator, v.denominator) == (1170, 1200)
    assert v.value is not None and math.isclose(v.value, expected)
    assert v.lower is not None and v.upper is not None and v.lower < expected < v.upper


@pytest.mark.django_db
def test_refresh_keeps_patient_level_values_and_fills_the_rest_from_aggregates() -> None:
    con = ibis.duckdb.connect()
    ids = [
        "rtt-admitted-18-weeks",
        "rtt-admitted-95th-percentile",
        "ae-four-hour",
        "gp-referral-rate",
    ]
    refresh.refresh(con=con, tables=handmade.tables(), indicator_ids=ids)

    def stored(indicator: str, level: str, org: str) -> IndicatorValue:
        return IndicatorValue.objects.get(
            indicator_id=indicator, level=level, org_code=org, month=handmade.NOV
        )

    # West Herts has pathway-level rows: its value is theirs (P1's 1 of 2), not the returns'
    west = stored("rtt-admitted-18-weeks", "pct", "5P3")
    assert (west.value, west.source) == (50.0, IndicatorValue.Source.COMPUTED)
    assert stored("rtt-admitted-95th-percentile", "pct", "5P3").source == "computed"
    # 5D7 has returns only: from the aggregate route, saying so and naming the dataset
    other = stored("rtt-admitted-18-weeks", "pct", "5D7")
    assert (other.value, other.source) == (100.0, IndicatorValue.Source.AGGREGATE)
    assert other.extra["dataset"] == "rtt_returns"
    p95 = stored("rtt-admitted-95th-percentile", "pct", "5D7")
    assert p95.value == pytest.approx(3.75) and p95.source == "aggregate"
    # practices keep the patient-level route (the returns are by commissioner)
    assert stored("rtt-admitted-18-weeks", "practice", handmade.P1).source == "computed"
    ae = stored("ae-four-hour", "provider", "RWG")
    assert ae.value == pytest.approx(97.5) and ae.source == "aggregate"
    assert ae.extra["dataset"] == "ae_attendances"
    # an indicator without an aggregate route is untouched
    assert stored("gp-referral-rate", "practice", handmade.P1).value == pytest.approx(72.0)
    # one value per organisation and month (the aggregate never doubles a patient-level one)
    assert (
        IndicatorValue.objects.filter(
            indicator_id="rtt-admitted-18-weeks", level="pct", org_code="5P3", month=handmade.NOV
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_the_indicator_page_names_the_aggregate_source(django_user_model: Any) -> None:
    con = ibis.duckdb.connect()
    refresh.refresh(con=con, tables=handmade.tables(), indicator_ids=["ae-four-hour"])
    client = Client()
    client.force_login(django_user_model.objects.get(username="analyst"))
    response = client.get("/indicators/i/ae-four-hour/?org=provider:RWG")
    assert response.status_code == 200
    text = response.content.decode()
    assert "published aggregate data (warehouse dataset ae_attendances)" in text


# --- QOF registers -------------------------------------------------------------------------------


def _qof_sample() -> Path:
    for parent in [ROOT, *ROOT.parents]:
        path = parent / "shared" / "real-samples" / "qof" / "qof_prevalence_by_practice_sample.csv"
        if path.is_file():
            return path
    raise FileNotFoundError("shared/real-samples/qof")


@pytest.fixture
def qof_only(settings: Any, tmp_path: Path) -> Path:
    """A warehouse of its own holding only the QOF sample (2009/10), loaded through the import."""
    from pbc.imports.actions import run_import

    settings.DATA_DIR = tmp_path
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    path = tmp_path / "qof.csv"
    with open(_qof_sample(), newline="") as fh, open(path, "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["gp_practice_code", "year_start", "indicator_group", "register_description",
                    "patient_list_type", "register", "list_size", "published_prevalence"])  # fmt: skip
        for r in csv.DictReader(fh):
            w.writerow([r["practicecode"], "2009-04-01", r["indicator_group"],
                        r["Register_description"], "TOTAL", r["disease_register_size"],
                        r["practice_listsize"], r["prevalence"]])  # fmt: skip
    run, result = run_import(None, "qof_prevalence", path)
    assert result is not None, run.message
    assert result.rows_loaded == 96
    return tmp_path


@pytest.mark.django_db
def test_register_funnels_draw_from_qof_when_there_is_no_patient_register(qof_only: Path) -> None:
    from pbc.population import present

    found = present.registers_for(["A81001", "A81002", "A81003", "A81004"])
    assert found is not None
    assert found.source == present.QOF
    assert str(found.on) == "2010-03-31"
    hf = found.comparisons["heart_failure"]
    assert hf.register == 48 + 202 + 34 + 62  # the HF register, not "due to LVD"
    rows = {r.gp_practice_code: r for r in found.rows("diabetes")}
    assert rows["A81001"].register == 251 and rows["A81001"].denominator == 4178
    assert rows["A81001"].prevalence.value == pytest.approx(6.0076591671, abs=1e-6)
    figure = present.register_funnel(hf, found.rows("heart_failure"), {}, found.source)
    assert figure["data"][0]["x"] == [r.expected for r in found.rows("heart_failure")]
    assert "QOF" in figure["layout"]["xaxis"]["title"]["text"]
