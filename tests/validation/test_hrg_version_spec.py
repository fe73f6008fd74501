"""Spec test of `hrg_version_for_year` on hand-made rows, on every engine: HRG v3.5 codes price
2008/09 and before, HRG4 codes 2009/10 on; a row of a year carrying the other version's code is
flagged with the reason. A year's version is that of its tariff as loaded, else the national
calendar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pbc.analytics import invoices
from pbc.analytics import validation as v
from validation.world import World, ae_row, apc_row, day, extract, line_row, op_row

D = Decimal
RULE = "hrg_version_for_year"


def tariff_row(year: str, hrg: str, price: str, pod: str = "EL") -> dict[str, Any]:
    return {
        "financial_year": year, "point_of_delivery": pod, "hrg_code": hrg,
        "treatment_function_code": None, "hrg_description": None, "price": D(price),
        "trim_point_days": 5, "excess_bed_day_rate": D("200.00"),
        "short_stay_max_los_days": None, "short_stay_min_age": None,
    }  # fmt: skip


def spell(
    key: str, discharged: str, hrg: str | None, charged: str | None, **over: Any
) -> dict[str, Any]:
    when = day(discharged)
    fields = {"hrg_code": hrg, "charged_hrg_code": charged, **over}
    return apc_row(key, admission_date=when - dt.timedelta(days=3), discharge_date=when, **fields)


def find(engine: Any, world: World, with_lines: bool = False) -> Any:
    """The rule's findings; with the invoice lines matched to the spells first, as the
    warehouse's inputs are (`warehouse_inputs`)."""
    inputs = world.inputs(engine)
    if with_lines:
        assert inputs.invoice_lines is not None
        apc = invoices.with_invoices(inputs.apc, inputs.invoice_lines, "spell_id")
        inputs = v.Inputs(**{**inputs.__dict__, "apc": apc})
    frame = engine.execute(v.find(inputs, rule_ids=[RULE]))
    for column in ("activity_date", "month"):
        frame[column] = frame[column].map(lambda d: d.date() if hasattr(d, "date") else d)
    return frame.set_index("row_id").sort_index()


def test_a_code_of_the_other_version_is_flagged_with_the_reason(engine: Any, world: World) -> None:
    # The published tariffs: 2008/09 in HRG v3.5, 2009/10 in HRG4; none loaded for 2010/11.
    world.tariff = [
        tariff_row("2008/09", "H80", "5000.00"),
        tariff_row("2009/10", "HB12C", "5200.00"),
    ]
    world.apc = [
        spell("v35-0809", "2008-06-05", "H80", "H80"),
        spell("hrg4-0910", "2009-06-05", "HB12C", "HB12C"),
        # charged in v3.5 after HRG4 arrived: the whole charge is at stake
        spell("v35-0910", "2009-06-05", "H80", "H80", charged_price=D("5000.00")),
        # charged in HRG4 in 2008/09
        spell("hrg4-0809", "2009-03-31", "HB12C", "HB12C", charged_price=D("5200.00")),
        # only the derived (SUS) HRG is of the old version: information, nothing at stake
        spell("derived-0910", "2009-04-01", "H80", "HB12C", charged_price=D("5200.00")),
        # no tariff for 2010/11: the national calendar says HRG4
        spell("v35-1011", "2010-05-01", "H80", "H80"),
        spell("hrg4-1011", "2010-05-01", "HB12C", "HB12C"),
        # no HRG (an extract SUS did not group), or not an HRG at all: not this rule's
        spell("no-hrg", "2009-06-05", None, None, **extract(charged_hrg_code=None)),
        spell("not-an-hrg", "2009-06-05", "XYZ", "XYZ"),
    ]
    world.op = [
        op_row("op-v35", attendance_date=day("2009-07-01"), procedure_flag=True, hrg_code="H80",
               charged_hrg_code="H80", point_of_delivery="OPPROC",
               charged_point_of_delivery="OPPROC", charged_price=D("150.00")),
    ]  # fmt: skip
    out = find(engine, world)
    assert set(out.index) == {"v35-0910", "hrg4-0809", "derived-0910", "v35-1011", "op-v35"}
    assert out.loc["v35-0910", "detail"] == (
        "HRG v3.5 code in a year priced by HRG4: charged HRG H80, 2009/10"
    )
    assert out.loc["v35-0910", "amount"] == D("5000.00")
    assert out.loc["hrg4-0809", "detail"] == (
        "HRG4 code in a year priced by HRG v3.5: charged HRG HB12C, 2008/09"
    )
    assert out.loc["hrg4-0809", "month"] == dt.date(2009, 3, 1)
    assert out.loc["derived-0910", "detail"] == (
        "HRG v3.5 code in a year priced by HRG4: HRG H80, 2009/10"
    )
    assert out.loc["derived-0910", "amount"] == D("0.00")
    assert out.loc["v35-1011", "detail"].endswith("charged HRG H80, 2010/11")
    assert (out.loc["op-v35", "dataset"], out.loc["op-v35", "amount"]) == ("op", D("150.00"))
    for key in out.index:
        assert out.loc[key, "provider_code"] == "RWG"


def test_invoice_lines_are_judged_matched_or_not(engine: Any, world: World) -> None:
    world.tariff = [
        tariff_row("2008/09", "H80", "5000.00"),
        tariff_row("2009/10", "HB12C", "5200.00"),
    ]
    world.apc = [
        spell("RWG:1001", "2009-06-05", "HB12C", None, **extract(charged_hrg_code=None)),
        spell("RWG:1002", "2009-06-05", "HB12C", None, **extract(charged_hrg_code=None)),
    ]
    world.invoice_lines = [
        # the provider invoiced spell 1001 with a v3.5 HRG: judged as the spell's charged HRG
        line_row("1001", hrg_code="H80", point_of_delivery="EL", activity_date=day("2009-06-05"),
                 invoice_month=day("2009-06-01"), price=D("5000.00")),
        line_row("1002", hrg_code="HB12C", point_of_delivery="EL",
                 activity_date=day("2009-06-05"), invoice_month=day("2009-06-01")),
        # a line naming no spell, in v3.5, dated by its invoice month (no activity date)
        line_row("7777", hrg_code="H80", activity_date=None, invoice_month=day("2009-07-01"),
                 price=D("2100.00")),
        # a line naming no spell of 2008/09 in v3.5: right
        line_row("7778", hrg_code="H80", activity_date=day("2009-02-01"),
                 invoice_month=day("2009-02-01")),
    ]  # fmt: skip
    out = find(engine, world, with_lines=True)
    assert set(out.index) == {"RWG:1001", "RWG:7777"}
    assert out.loc["RWG:1001", "detail"] == (
        "HRG v3.5 code in a year priced by HRG4: charged HRG H80, 2009/10"
    )
    assert out.loc["RWG:1001", "amount"] == D("5000.00")
    line = out.loc["RWG:7777"]
    assert (line["dataset"], line["month"], line["activity_date"], line["amount"]) == (
        "apc", dt.date(2009, 7, 1), dt.date(2009, 7, 1), D("2100.00"),
    )  # fmt: skip
    assert line["detail"] == "HRG v3.5 code in a year priced by HRG4: invoiced HRG H80, 2009/10"


def attendance(key: str, arrived: str, hrg: str) -> dict[str, Any]:
    return ae_row(key, arrival_date=day(arrived), hrg_code=hrg, charged_hrg_code=hrg)


def test_ae_is_judged_by_its_own_tariff_v35_in_2009_10(engine: Any, world: World) -> None:
    """A&E stayed on the HRG v3.5 A&E tariff in 2009/10 while HRG4 priced the rest (DH,
    November 2008; Hansard, 12 January 2009): the real 2009/10 tariff, HRG4 spell prices and a
    v3.5 A&E sheet, flags neither its v3.5 attendances nor its HRG4 spells. (V03 stands for a
    v3.5 A&E HRG: a letter and two digits.)"""
    world.tariff = [
        tariff_row("2009/10", "HB12C", "5200.00"),
        tariff_row("2009/10", "FZ17A", "1900.00"),
        tariff_row("2009/10", "V03", "95.00", pod="AE"),
    ]
    world.apc = [
        spell("hrg4-0910", "2009-06-05", "HB12C", "HB12C"),
        spell("v35-0910", "2009-06-05", "H80", "H80"),
    ]
    world.ae = [
        attendance("ae-v35-0910", "2009-06-05", "V03"),
        attendance("ae-hrg4-0910", "2009-06-05", "VB08Z"),
        # no tariff for 2010/11: the calendar judges A&E as the rest from then (HRG4)
        attendance("ae-v35-1011", "2010-05-01", "V03"),
    ]
    out = find(engine, world)
    assert set(out.index) == {"v35-0910", "ae-hrg4-0910", "ae-v35-1011"}
    assert out.loc["ae-hrg4-0910", "detail"] == (
        "HRG4 code in a year priced by HRG v3.5: charged HRG VB08Z, 2009/10"
    )
    assert out.loc["ae-hrg4-0910", "dataset"] == "ae"
    assert out.loc["ae-v35-1011", "detail"] == (
        "HRG v3.5 code in a year priced by HRG4: charged HRG V03, 2010/11"
    )


def test_without_an_ae_tariff_2009_10_ae_is_judged_v35_by_the_calendar(
    engine: Any, world: World
) -> None:
    world.tariff = [tariff_row("2009/10", "HB12C", "5200.00")]
    world.apc = [spell("v35-0910", "2009-06-05", "H80", "H80")]
    world.ae = [
        attendance("ae-v35-0910", "2009-06-05", "V03"),
        attendance("ae-hrg4-0809", "2009-03-05", "VB08Z"),
    ]
    world.invoice_lines = [
        # A&E lines naming no attendance are judged as A&E: v3.5 right in 2009/10
        line_row("8001", point_of_delivery="AE", hrg_code="V03", activity_date=day("2009-06-05"),
                 invoice_month=day("2009-06-01"), price=D("95.00")),
        line_row("8002", point_of_delivery="AE", hrg_code="VB08Z",
                 activity_date=day("2009-06-05"), invoice_month=day("2009-06-01"),
                 price=D("110.00")),
    ]  # fmt: skip
    out = find(engine, world)
    assert set(out.index) == {"v35-0910", "ae-hrg4-0809", "RWG:8002"}
    assert out.loc["ae-hrg4-0809", "detail"].endswith("charged HRG VB08Z, 2008/09")
    assert out.loc["RWG:8002", "dataset"] == "ae"
    assert out.loc["RWG:8002", "detail"] == (
        "HRG4 code in a year priced by HRG v3.5: invoiced HRG VB08Z, 2009/10"
    )
