"""The RTT week-band page: published layout by provider and specialty, on hand-made pathways
(every band worked out by hand) and on the demo (totals equal the 18-week indicators')."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import ibis
import pytest
from django.test import Client

from indicators import handmade
from pbc.indicators import weekbands
from pbc.indicators.models import IndicatorValue

pytestmark = pytest.mark.django_db


def test_handmade_pathways_land_in_the_published_bands() -> None:
    rtt = ibis.memtable(handmade.tables()["rtt"].to_pyarrow())
    result = weekbands.table(
        "practice", handmade.P1, None, handmade.NOV, con=ibis.duckdb.connect(), rtt_table=rtt
    )
    admitted = result.of_type("admitted")
    assert len(admitted) == 1  # pathway 3 (DNA) is nullified
    bands = admitted[0].bands
    # 126 days: band ">17-18" (index 17, 120-126 days); 127 days: ">18-19" (index 18)
    assert bands[17] == 1 and bands[18] == 1 and sum(bands) == 2
    assert admitted[0].within_18_weeks == 1 and admitted[0].total == 2
    non_admitted = result.of_type("non_admitted")[0]
    assert non_admitted.bands[2] == 1 and non_admitted.total == 1  # 21 days: ">2-3"
    incomplete = result.of_type("incomplete")
    # at 30 November: 152 days (index 21) and 15 days (index 2)
    counts = [sum(r.bands[k] for r in incomplete) for k in range(53)]
    assert counts[21] == 1 and counts[2] == 1 and sum(counts) == 2
    assert result.labels[0] == ">0-1" and result.labels[-1] == "52 plus"
    rows = weekbands.csv_rows(result)
    assert rows[0][7] == ">0-1" and len(rows) == 1 + len(result.rows) + 3  # + a total per type


# Hand-worked waits of P1's pathways in November 2008 (handmade.py), per pathway type:
# (% within 18 weeks, exact median and 95th percentile in days, interpolated median and 95th
# percentile in weeks).
# - admitted: 126 and 127 days. Exact (linear between order statistics, h = (N - 1)p):
#   median 126.5, p95 126 + 0.95 = 126.95. Bands ">17-18" (index 17) and ">18-19" (18);
#   interpolated L + (pN - F)/f: median 17 + (1 - 0)/1 = 18, p95 18 + (1.9 - 1)/1 = 18.9.
# - non-admitted: one pathway of 21 days, band ">2-3": median 2 + 0.5 = 2.5, p95 2.95 weeks.
# - incomplete at 30 November: 15 and 152 days: median 83.5, p95 15 + 0.95 x 137 = 145.15;
#   bands 2 and 21: median 2 + 1/1 = 3, p95 21 + 0.9 = 21.9 weeks.
WAITS = {
    "admitted": (50.0, 126.5, 126.95, 18.0, 18.9),
    "non_admitted": (100.0, 21.0, 21.0, 2.5, 2.95),
    "incomplete": (50.0, 83.5, 145.15, 3.0, 21.9),
}


def test_median_and_95th_percentile_waits_worked_by_hand() -> None:
    rtt = ibis.memtable(handmade.tables()["rtt"].to_pyarrow())
    result = weekbands.table(
        "practice", handmade.P1, None, handmade.NOV, con=ibis.duckdb.connect(), rtt_table=rtt
    )
    csv_rows = weekbands.csv_rows(result)
    header = csv_rows[0]
    totals = {r[header.index("pathway_type")]: dict(zip(header, r, strict=True))
              for r in csv_rows[1:] if r[header.index("row")] == "total"}  # fmt: skip
    for pathway_type, (within, median, p95, median_w, p95_w) in WAITS.items():
        total = result.totals(pathway_type)
        assert total is not None
        assert total.exact.unit == "days" and total.from_bands.unit == "weeks"
        got = (total.exact.percent_within_18_weeks, total.exact.median, total.exact.p95,
               total.from_bands.median, total.from_bands.p95)  # fmt: skip
        assert got == pytest.approx((within, median, p95, median_w, p95_w)), pathway_type
        row = totals[pathway_type]
        assert (row["percent_within_18_weeks"], row["median_days"], row["p95_days"],
                row["median_weeks_from_bands"], row["p95_weeks_from_bands"]) == pytest.approx(
            (within, median, p95, median_w, p95_w))  # fmt: skip
        assert row["provider_code"] == "" and row["total_pathways"] == total.total


def test_week_band_page_shows_the_waits(django_user_model: Any, tmp_path: Path) -> None:
    """The page and its CSV as the practice's own user sees them, reading the hand-made
    pathways from a warehouse of their own (committed through the store, read by the engine)."""
    import pyarrow.parquet as pq
    from django.test import override_settings

    from pbc.warehouse import store

    staged = tmp_path / "staged.parquet"
    pq.write_table(handmade.arrow_tables()["rtt"], staged)
    folder = store.dataset_dir("rtt", tmp_path)
    folder.mkdir(parents=True)
    with store.dataset_lock(folder):
        store.commit(folder, "rtt", "handmade", [store.StagedPartition("", (staged,), 6)])
    client = Client()
    client.force_login(django_user_model.objects.get(username="practice"))
    url = f"/indicators/rtt/week-bands/?org=practice:{handmade.P1}&month=2008-11"
    with override_settings(DATA_DIR=tmp_path, WAREHOUSE_DIR=tmp_path / "warehouse"):
        page = client.get(url)
        download = client.get(url + "&format=csv")
    html = page.content.decode()
    for pathway_type, (within, median, p95, median_w, p95_w) in WAITS.items():
        section = html[html.index(f'id="waits-{pathway_type}"') :]
        total = section[section.index('data-row="total"') :]
        total = total[: total.index("</tr>")]
        assert f'data-column="within">{within:.1f}<' in total
        assert f'data-column="median-days">{median:.1f}<' in total
        assert f'data-column="p95-days">{p95:.1f}<' in total, (pathway_type, total)
        assert f'data-column="median-weeks">{median_w:.2f}<' in total
        assert f'data-column="p95-weeks">{p95_w:.2f}<' in total
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    admitted = next(r for r in rows if r["row"] == "total" and r["pathway_type"] == "admitted")
    assert float(admitted["median_days"]) == 126.5 and float(
        admitted["p95_weeks_from_bands"]
    ) == pytest.approx(18.9)


def test_practice_b_sees_none_of_practice_a() -> None:
    rtt = ibis.memtable(handmade.tables()["rtt"].to_pyarrow())
    result = weekbands.table(
        "practice", handmade.P3, None, handmade.NOV, con=ibis.duckdb.connect(), rtt_table=rtt
    )
    assert result.rows == ()


def test_page_and_csv_on_the_demo_match_the_indicator_denominators(
    django_user_model: Any,
) -> None:
    stored = IndicatorValue.objects.filter(
        indicator_id="rtt-admitted-18-weeks", level="locality", org_code="dacorum"
    ).order_by("-month")
    latest = stored.first()
    assert latest is not None and latest.denominator
    client = Client()
    client.force_login(django_user_model.objects.get(username="locality"))
    page = client.get(
        f"/indicators/rtt/week-bands/?org=locality:dacorum&month={latest.month:%Y-%m}"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="week-bands-admitted"' in html and "52 plus" in html
    download = client.get(
        f"/indicators/rtt/week-bands/?org=locality:dacorum&month={latest.month:%Y-%m}&format=csv"
    )
    every = list(csv.DictReader(io.StringIO(download.content.decode())))
    rows = [r for r in every if r["row"] == "provider x specialty"]
    totals = {r["pathway_type"]: r for r in every if r["row"] == "total"}
    admitted = [r for r in rows if r["pathway_type"] == "admitted"]
    assert int(totals["admitted"]["total_pathways"]) == latest.denominator
    assert float(totals["admitted"]["percent_within_18_weeks"]) == pytest.approx(latest.value)
    # the exact and the banded median agree to within the one-week band
    median_weeks = float(totals["admitted"]["median_days"]) / 7
    assert abs(median_weeks - float(totals["admitted"]["median_weeks_from_bands"])) <= 1
    assert sum(int(r["total_pathways"]) for r in admitted) == latest.denominator
    assert sum(int(r["within_18_weeks"]) for r in admitted) == latest.numerator
    for r in rows:  # bands add up to the total in every row
        assert sum(int(r[label]) for label in weekbands.rtt.band_labels()) == int(
            r["total_pathways"]
        )
    non_admitted = IndicatorValue.objects.get(
        indicator_id="rtt-non-admitted-18-weeks",
        level="locality",
        org_code="dacorum",
        month=latest.month,
    )
    assert (
        sum(int(r["total_pathways"]) for r in rows if r["pathway_type"] == "non_admitted")
        == non_admitted.denominator
    )


def test_other_locality_is_refused_and_rtt_pages_link_here(django_user_model: Any) -> None:
    client = Client()
    client.force_login(django_user_model.objects.get(username="locality"))
    assert client.get("/indicators/rtt/week-bands/?org=locality:welwyn-hatfield").status_code == 403
    page = client.get("/indicators/i/rtt-admitted-18-weeks/?org=locality:dacorum")
    assert 'id="rtt-week-bands-link"' in page.content.decode()
