"""Indicator pages on the hand-made warehouse: SPC and funnel, access, downloads, dashboards,
public suppression, the audited RTT watch list and manual entry."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import ibis
import openpyxl
import pytest
from django.test import Client

import module_db
from indicators import handmade
from pbc.indicators import definitions as defs
from pbc.indicators import present, refresh
from pbc.indicators.models import IndicatorValue
from pbc.orgs.models import AuditEvent

pytestmark = pytest.mark.django_db


def handmade_values() -> None:
    IndicatorValue.objects.all().delete()
    refresh.refresh(con=ibis.duckdb.connect(), tables=handmade.tables())


@pytest.fixture(scope="module", autouse=True)
def values(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Only the hand-made warehouse's values (the session demo computed its own: cleared), for
    every test of the module: refreshed once (`module_db`); a test's own changes are rolled
    back when it ends."""
    with module_db.shared(django_db_blocker, handmade_values):
        yield


def client_for(django_user_model: Any, username: str) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.get(username=username))
    return client


def test_indicator_page_shows_spc_icons_funnel_and_trend(
    values: None, django_user_model: Any
) -> None:
    client = client_for(django_user_model, "analyst")
    page = client.get("/indicators/i/gp-referral-rate/?org=locality:dacorum")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="spc-chart"' in html and 'data-icon="variation"' in html
    assert 'data-icon="assurance"' in html and "/indicators/plotly.min.js" in html
    assert 'id="funnel-table"' in html and handmade.P1 in html and handmade.P2 in html
    assert "Nov 2008" in html and "24.0" in html  # the locality's November rate


def test_practice_user_cannot_choose_another_practice(values: None, django_user_model: Any) -> None:
    client = client_for(django_user_model, "practice")
    own = client.get(f"/indicators/i/gp-referral-rate/?org=practice:{handmade.P1}")
    assert own.status_code == 200
    assert (
        client.get(f"/indicators/i/gp-referral-rate/?org=practice:{handmade.P2}").status_code == 403
    )
    assert AuditEvent.objects.filter(action="denied", username="practice").exists()
    # the funnel compares only practices the user may see
    assert handmade.P2 not in own.content.decode()


def test_csv_and_xlsx_downloads(values: None, django_user_model: Any) -> None:
    client = client_for(django_user_model, "analyst")
    url = f"/indicators/i/gp-referral-rate/download.csv?org=practice:{handmade.P1}"
    rows = list(csv.DictReader(io.StringIO(client.get(url).content.decode())))
    nov = next(r for r in rows if r["month"] == "2008-11-01")
    assert float(nov["value"]) == pytest.approx(72.0) and nov["numerator"] == "6.0"
    xlsx = client.get(url.replace("download.csv", "download.xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["indicator", "organisation_level", "organisation", "month"]
    assert sheet.max_row == 3  # header, October, November


def test_locality_dashboard_lists_every_locality_indicator(
    values: None, django_user_model: Any
) -> None:
    client = client_for(django_user_model, "board")
    html = client.get("/indicators/localities/dacorum/").content.decode()
    for d in defs.catalogue().values():
        if "locality" in d.levels:
            assert f'data-indicator="{d.id}"' in html, d.id
    assert client.get("/indicators/localities/welwyn-hatfield/").status_code == 403
    table = client.get("/indicators/localities/dacorum/?format=csv").content.decode()
    assert "gp-referral-rate" in table


def test_public_pages_suppress_small_numbers_and_what_derives_from_them(values: None) -> None:
    client = Client()
    html = client.get(
        "/indicators/public/i/gp-referral-rate/?org=locality:dacorum"
    ).content.decode()
    # Dacorum had 6 referrals in November and 1 in October: both suppressed, with their rates
    assert html.count("suppressed (small number)") == 2
    assert "24.0" not in html and 'id="spc-chart"' not in html
    assert (
        client.get("/indicators/public/i/gp-referral-rate/?org=practice:E82601").status_code == 200
    )
    assert handmade.P1 not in client.get("/indicators/public/localities/dacorum/").content.decode()


def test_suppress_rows_rounds_and_hides() -> None:
    d = defs.get("choose-and-book")
    assert d is not None
    rows = [present.Row(handmade.OCT, 12, 40, 30.0, 17.0, 45.0),
            present.Row(handmade.NOV, 20, 5, 400.0, 1.0, 2.0)]  # fmt: skip
    out = present.suppress_rows(d, rows)
    assert out[0].numerator == 10 and out[0].denominator == 40 and out[0].value == 30.0
    assert out[1].suppressed and out[1].value is None and out[1].lower is None


def test_watch_list_visibility_and_audit(values: None, django_user_model: Any) -> None:
    url = f"/indicators/rtt/practices/{handmade.P1}/watch/"
    practice = client_for(django_user_model, "practice")
    page = practice.get(url)
    assert page.status_code == 200
    assert "9434765905" in page.content.decode()  # pathway P5, 152 days at 30 November
    event = AuditEvent.objects.filter(action="view_patient_rows", username="practice").get()
    assert event.object_type == "Practice" and "1 pathways" in event.detail
    assert client_for(django_user_model, "practice2").get(url).status_code == 403
    assert client_for(django_user_model, "locality").get(url).status_code == 403
    analyst = client_for(django_user_model, "analyst")
    assert "9434765905" in analyst.get("/indicators/rtt/pct/west-herts/watch/").content.decode()
    assert AuditEvent.objects.filter(action="view_patient_rows", username="analyst").count() == 1


def test_manual_entry_form(django_user_model: Any) -> None:
    client = client_for(django_user_model, "analyst")
    response = client.post(
        "/indicators/manual/pct/west-herts/",
        {"indicator": "retinal-screening", "organisation": "pct:5P3", "month": "2008-11",
         "numerator": "2", "denominator": "4", "note": "screening programme return"},
    )  # fmt: skip
    assert response.status_code == 302
    v = IndicatorValue.objects.get(indicator_id="retinal-screening", org_code="5P3")
    assert v.value == 50 and v.source == "manual"
    assert (
        client_for(django_user_model, "locality")
        .get("/indicators/manual/pct/west-herts/")
        .status_code
        == 403
    )


def test_secondary_suppression_across_the_pct(values: None) -> None:
    """Two localities in a PCT: one small count hidden; the other hidden too, because the
    published PCT total would otherwise give it away."""
    d = defs.get("gp-referral-rate")
    assert d is not None
    rows = {"a": 5, "b": 40}
    for code, x in rows.items():
        IndicatorValue.objects.create(indicator_id=d.id, level="locality", org_code=code,
                                      month=handmade.NOV, numerator=x, denominator=1000)  # fmt: skip
    assert present.hidden_across_pct(d, "5XX", ["a", "b"], "a") == {handmade.NOV}
    assert present.hidden_across_pct(d, "5XX", ["a", "b"], "b") == {handmade.NOV}
    IndicatorValue.objects.filter(org_code="a").update(numerator=30)
    assert present.hidden_across_pct(d, "5XX", ["a", "b"], "b") == frozenset()


def test_latest_status_for_the_board_report(values: None) -> None:
    from pbc.indicators.summary import latest_status

    s = latest_status("rtt-admitted-18-weeks", "practice", handmade.P1)
    assert s is not None and s.month == handmade.NOV and s.value == pytest.approx(50.0)
    assert s.target == 90 and s.text == "50.0 %"
    before = latest_status("rtt-admitted-18-weeks", "practice", handmade.P1, handmade.OCT)
    assert before is not None and before.value is None and before.text == "No data yet"
    assert latest_status("no-such-indicator", "pct", "5P3") is None


def test_prescribing_deciles_and_savings_on_the_page_and_downloads(
    values: None, django_user_model: Any
) -> None:
    """Lansoprazole share of PPI items, November 2008 (handmade.py): P1 10 of 40 items (25%),
    lansoprazole £3 an item and the others £1; P2 2 of 40 (5%), also £3 and £1. The PCT's
    10th centile between its two practices is 5 + 0.1 × 20 = 7%; P1 is in decile 10 and would
    switch (25% − 7%) × 40 = 7.2 items at £2 each, £14.40; P2 is below the centile (0). The
    Dacorum locality's potential saving is the sum, £14.40."""
    client = client_for(django_user_model, "analyst")
    html = client.get(
        f"/indicators/i/prescribing-lansoprazole/?org=practice:{handmade.P1}"
    ).content.decode()
    nov = html[html.index('<td class="nhsuk-table__cell">Nov 2008</td>') :]
    nov = nov[: nov.index("</tr>")]
    assert (
        '<td class="nhsuk-table__cell nhsuk-table__cell--numeric" data-column="decile">10</td>'
        in nov
    )
    assert 'data-column="centile-10">7.0</td>' in nov and 'data-column="saving">14.40</td>' in nov
    assert "Potential saving at the 10th centile" in html and 'id="prescribing-note"' in html
    url = f"/indicators/i/prescribing-lansoprazole/download.csv?org=practice:{handmade.P2}"
    rows = {r["month"]: r for r in csv.DictReader(io.StringIO(client.get(url).content.decode()))}
    assert rows["2008-11-01"]["decile"] == "1"
    assert float(rows["2008-11-01"]["pct_10th_centile"]) == pytest.approx(7.0)
    assert rows["2008-11-01"]["potential_saving_at_10th_gbp"] == "0.00"
    assert (
        rows["2008-10-01"]["decile"] == ""
        and rows["2008-10-01"]["potential_saving_at_10th_gbp"] == ""
    )
    xlsx = client.get("/indicators/i/prescribing-lansoprazole/download.xlsx?org=locality:dacorum")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    header = table[0]
    assert header[-3:] == ["decile", "pct_10th_centile", "potential_saving_at_10th_gbp"]
    november = next(r for r in table[1:] if r[3] == "2008-11-01")
    assert november[-3:] == [None, None, pytest.approx(14.40)]
    # a measure about safe prescribing, not cost: deciles and centile in its own unit, no saving
    url = f"/indicators/i/prescribing-antibiotics-per-astro-pu/download.csv?org=practice:{handmade.P1}"
    rows = {r["month"]: r for r in csv.DictReader(io.StringIO(client.get(url).content.decode()))}
    # P1 30 items per 800 ASTRO-PU, P2 none per 1,500: 10th centile 0.1 × 30/800 × 12,000 = 45
    assert rows["2008-11-01"]["decile"] == "10"
    assert float(rows["2008-11-01"]["pct_10th_centile"]) == pytest.approx(45.0)
    assert rows["2008-11-01"]["potential_saving_at_10th_gbp"] == ""
    page = client.get(
        f"/indicators/i/prescribing-antibiotics-per-astro-pu/?org=practice:{handmade.P1}"
    ).content.decode()
    assert "not cost: it has no potential saving" in page
    # other indicators have no prescribing columns
    url = f"/indicators/i/gp-referral-rate/download.csv?org=practice:{handmade.P1}"
    assert "decile" not in client.get(url).content.decode().splitlines()[0]


def test_practice_dashboard_lists_its_indicators_with_latest_values(
    values: None, django_user_model: Any
) -> None:
    client = client_for(django_user_model, "practice")
    page = client.get(f"/indicators/practices/{handmade.P1}/")
    assert page.status_code == 200
    html = page.content.decode()
    practice_level = [d.id for d in defs.catalogue().values() if "practice" in d.levels]
    for indicator in practice_level:
        assert f'data-indicator="{indicator}"' in html, indicator
    assert 'data-indicator="mrsa-bacteraemia"' not in html  # PCT level only
    row = html[html.index('data-indicator="gp-referral-rate"') :]
    row = row[: row.index("</tr>")]
    assert "Nov 2008" in row and ">72.0<" in row  # P1's November rate (handmade.EXPECTED)
    assert 'data-icon="variation"' in row
    # another practice's dashboard is refused, and audited
    assert client.get(f"/indicators/practices/{handmade.P2}/").status_code == 403
    assert AuditEvent.objects.filter(action="denied", username="practice").exists()
    table = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/indicators/practices/{handmade.P1}/?format=csv").content.decode()
            )
        )
    )
    assert [r["indicator"] for r in table] == practice_level
    admitted = next(r for r in table if r["indicator"] == "rtt-admitted-18-weeks")
    assert float(admitted["value"]) == pytest.approx(50.0) and admitted["target"] == "90.0"


def test_pct_dashboard_and_its_xlsx(values: None, django_user_model: Any) -> None:
    """West Herts (5P3) = P1 + P2: 6 GP referrals in November over 3,000 weighted patients,
    24.0 per 1,000 a year; admitted RTT 1 of 2 within 18 weeks against the 90% target."""
    analyst = client_for(django_user_model, "analyst")
    html = analyst.get("/indicators/pct/west-herts/").content.decode()
    pct_level = [d.id for d in defs.catalogue().values() if "pct" in d.levels]
    for indicator in pct_level:
        assert f'data-indicator="{indicator}"' in html, indicator
    assert 'data-indicator="smr-by-provider"' not in html  # provider level only
    assert (
        client_for(django_user_model, "locality").get("/indicators/pct/west-herts/").status_code
        == 403
    )
    response = analyst.get("/indicators/pct/west-herts/?format=xlsx")
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="indicators-5P3.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == ["indicator", "title", "month", "value", "lower_95", "upper_95", "unit",
                        "target", "variation", "assurance"]  # fmt: skip
    rows = {r[0]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    assert list(rows) == pct_level
    referrals = rows["gp-referral-rate"]
    assert referrals["month"] == "2008-11-01" and referrals["value"] == pytest.approx(24.0)
    assert referrals["lower_95"] < 24.0 < referrals["upper_95"]
    assert referrals["variation"] == "common cause"  # two points: no special cause yet
    admitted = rows["rtt-admitted-18-weeks"]
    assert admitted["value"] == pytest.approx(50.0) and admitted["target"] == 90
    assert rows["mrsa-bacteraemia"]["value"] is None  # no infection return loaded
