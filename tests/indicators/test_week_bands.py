"""The RTT week-band page: published layout by provider and specialty, on hand-made pathways
(every band worked out by hand) and on the demo (totals equal the 18-week indicators')."""

from __future__ import annotations

import csv
import io
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
    assert rows[0][6] == ">0-1" and len(rows) == 1 + len(result.rows)


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
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    admitted = [r for r in rows if r["pathway_type"] == "admitted"]
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
