"""The practice drill-down shows each costed row's price components next to what was charged,
and says where the two differ; unbundled imaging appears on the outpatients line at its local
price. Checked through the page on the test-scale demo, against prices worked out here from the
warehouse's tariff, local price list and market forces factors with `Decimal`."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.analytics import costing
from pbc.finance.refresh import activity_with_invoices
from pbc.orgs.models import AuditEvent, Practice
from pbc.warehouse import engine as wh
from pbc.web.jinja import money

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")
LINE = {"EL": "elective", "DC": "elective", "NEL": "non_elective", "NELST": "non_elective"}


def fy(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{str(start + 1)[2:]}"


def rows_of(name: str) -> list[dict[str, Any]]:
    con = wh.connect()
    return list(con.to_pyarrow(wh.table(con, name)).to_pylist())


def spells() -> list[dict[str, Any]]:
    """The demo's spells with their charges from the providers' invoice lines, each with the
    point of delivery the PbR rules give it (a HES / SUS extract carries none:
    `costing.apc_point_of_delivery` derives it)."""
    con = wh.connect()
    apc = activity_with_invoices(con, "apc")
    spells = costing.apc_point_of_delivery(apc, wh.table(con, "tariff"))
    rows = con.to_pyarrow(spells).to_pylist()
    return [{**r, "point_of_delivery": r["point_of_delivery"] or r["expected_pod"]} for r in rows]


@pytest.fixture(scope="module")
def reference(finance_demo: None, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        practices = {p.code: p.locality.pct.code for p in Practice.objects.select_related("locality__pct")}  # fmt: skip
    tariff = {
        (r["financial_year"], r["point_of_delivery"], r["hrg_code"] or r["treatment_function_code"]): r
        for r in rows_of("tariff")
    }  # fmt: skip
    local = {
        (r["financial_year"], r["point_of_delivery"], r["hrg_code"] or r["treatment_function_code"]): r
        for r in rows_of("local_prices")
    }  # fmt: skip
    mff = {(r["financial_year"], r["provider_code"]): r["market_forces_factor"]
           for r in rows_of("market_forces_factors")}  # fmt: skip
    faults: dict[str, set[str]] = {}
    for r in rows_of("faults"):
        faults.setdefault(r["rule_id"], set()).add(r["row_id"])
    return {"practices": practices, "tariff": tariff, "local": local, "mff": mff, "faults": faults}


def analyst() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="analyst"))  # West Herts PCT
    return client


def page(client: Client, practice: str, line: str, day: dt.date) -> dict[str, dict[str, str]]:
    url = f"/finance/practices/{practice}/rows/?line={line}&month={day:%Y-%m}&patients=1"
    response = client.get(url)
    assert response.status_code == 200, url
    doc = lxml.html.fromstring(response.content)
    return {
        tr.get("data-row"): {td.get("data-col"): td.text_content().strip() for td in tr.findall("td")}
        for tr in doc.xpath('//table[@id="patient-rows"]/tbody/tr')
    }  # fmt: skip


def ours(reference: dict[str, Any], row: dict[str, Any], pct: str = "5P3") -> bool:
    """Billed to West Herts PCT for one of its practices (so on the analyst's drill-down)."""
    return (
        row["commissioner_code"] == pct
        and reference["practices"].get(row["gp_practice_code"]) == pct
    )


def test_a_spell_shows_base_excess_bed_days_and_mff_that_make_its_price(
    reference: dict[str, Any],
) -> None:
    tariff, mff, faulty = (
        reference["tariff"],
        reference["mff"],
        set().union(*reference["faults"].values()),
    )
    spell = None
    for r in spells():
        t = tariff.get((fy(r["discharge_date"]), r["point_of_delivery"], r["hrg_code"]))
        if (ours(reference, r) and r["spell_id"] not in faulty and r["point_of_delivery"] in ("EL", "NEL")
                and t is not None and r["length_of_stay"] > t["trim_point_days"]):  # fmt: skip
            spell, row_tariff = r, t
            break
    assert spell is not None, "the demo has a clean spell beyond its trim point"
    ebd = spell["length_of_stay"] - row_tariff["trim_point_days"]
    factor = mff[(fy(spell["discharge_date"]), spell["provider_code"])]
    ebd_cost = ebd * row_tariff["excess_bed_day_rate"]
    expected = ((row_tariff["price"] + ebd_cost) * factor).quantize(CENT, rounding=ROUND_HALF_UP)

    before = AuditEvent.objects.filter(action="view_patient_rows", username="analyst").count()
    cells = page(analyst(), spell["gp_practice_code"], LINE[spell["point_of_delivery"]],
                 spell["discharge_date"])[spell["spell_id"]]  # fmt: skip
    assert cells["base"] == f"{money(row_tariff['price'], pence=True)} (tariff)"
    assert cells["stay"] == f"{spell['length_of_stay']} / {row_tariff['trim_point_days']}"
    assert cells["ebd"] == f"{ebd} / {ebd}"
    assert cells["ebd-cost"] == (
        f"{money(ebd_cost, pence=True)} ({ebd} × {money(row_tariff['excess_bed_day_rate'], pence=True)})"
    )
    assert cells["mff"] == f"{factor} / {factor}"
    assert cells["expected"] == money(expected, pence=True) == cells["charged"]
    assert cells["difference"] == "£0.00" and cells["differs"] == ""
    after = AuditEvent.objects.filter(action="view_patient_rows", username="analyst").count()
    assert after == before + 1  # the view of patient-level rows is audited


@pytest.mark.parametrize(
    ("rule", "says", "short_stay"),
    [
        ("unsupported_excess_bed_days", "excess bed days charged", ""),
        ("short_stay_not_applied", "charged as NEL, the rules say NELST", "applied"),
    ],
)
def test_a_faulty_spell_says_which_component_differs(
    reference: dict[str, Any], rule: str, says: str, short_stay: str
) -> None:
    flagged = reference["faults"][rule]
    spell = next(r for r in spells() if r["spell_id"] in flagged and ours(reference, r))
    cells = page(analyst(), spell["gp_practice_code"], LINE[spell["charged_point_of_delivery"]],
                 spell["discharge_date"])[spell["spell_id"]]  # fmt: skip
    assert says in cells["differs"]
    assert cells["short-stay"] == short_stay
    assert cells["difference"] not in ("", "£0.00")
    if rule == "unsupported_excess_bed_days":
        charged, expected = (int(x) for x in cells["ebd"].split(" / "))
        assert charged > expected
        assert f"{charged} excess bed days charged, {expected} expected" in cells["differs"]


def test_unbundled_imaging_is_on_the_outpatients_drill_down_at_its_local_price(
    reference: dict[str, Any],
) -> None:
    scans = [r for r in rows_of("imaging") if ours(reference, r)]
    unbundled = next(r for r in scans if r["parent_row_id"])
    cells = page(analyst(), unbundled["gp_practice_code"], "outpatients", unbundled["imaging_date"])
    mine = cells[unbundled["imaging_id"]]
    year = fy(unbundled["imaging_date"])
    price = reference["local"][(year, "IMG", unbundled["hrg_code"])]["price"]
    factor = reference["mff"][(year, unbundled["provider_code"])]
    expected = (price * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    assert f"unbundled from {unbundled['parent_row_id']}" in mine["row"]
    assert mine["pod"] == mine["expected-pod"] == "IMG"
    assert mine["base"] == f"{money(price, pence=True)} (local)"
    assert mine["expected"] == money(expected, pence=True) == mine["charged"]
    assert mine["differs"] == ""
    # the outpatient attendances of that month are listed with it
    assert any(":O" in key for key in cells)  # "RWG:O0000000001"

    direct = next(r for r in scans if not r["parent_row_id"])
    cells = page(analyst(), direct["gp_practice_code"], "outpatients", direct["imaging_date"])
    assert "GP direct access" in cells[direct["imaging_id"]]["row"]
