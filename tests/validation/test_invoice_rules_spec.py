"""Spec tests of the invoice reconciliation rules on hand-made rows, on every engine: an invoice
line naming no activity, and activity still not invoiced once its invoicing window has closed.
Each finding names the provider, the id, the month and the reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pbc.analytics import validation as v
from validation.world import World, apc_row, day, extract, line_row, op_row, scan_row

D = Decimal


def flagged(frame: Any) -> set[str]:
    return set(frame.index)


def test_invoice_line_without_activity(engine: Any, world: World) -> None:
    world.apc = [
        apc_row("RWG:1001", **extract()),  # an extract's spell, invoiced below
        apc_row("S0000000001"),  # pbc's own layout: its id is not the provider's
    ]
    world.op = [op_row("RWG:A77", **extract())]
    world.invoice_lines = [
        line_row("1001"),  # names RWG:1001: matched
        line_row("A77", point_of_delivery="OPFA", hrg_code=None, price=D("176.00")),  # matched
        # a spell number the activity does not hold: charged in January, part credited in February
        line_row("9999", price=D("500.00")),
        line_row("9999", invoice_month=day("2009-02-01"), price=D("-100.00")),
        # the same number from another provider is another spell: not RWG's 1001
        line_row("1001", provider_code="RWH", commissioner_code="5P2", price=D("1200.00")),
        # an A&E attendance the activity does not hold
        line_row("E12", point_of_delivery="AE", hrg_code="VB09Z", activity_date=None,
                 invoice_month=day("2009-03-01"), price=D("87.00")),
        # unbundled imaging is not matched to lines: not judged
        line_row("X1", point_of_delivery="IMG", hrg_code="RA01A", price=D("60.00")),
    ]  # fmt: skip
    out = world.find(engine, "invoice_line_without_activity")
    assert flagged(out) == {"RWG:9999", "RWH:1001", "RWG:E12"}
    spell = out.loc["RWG:9999"]
    assert (spell["dataset"], spell["provider_code"], spell["commissioner_code"]) == (
        "apc", "RWG", "5P3",
    )  # fmt: skip
    # One finding per id named: its lines summed (500.00 - 100.00), in its first invoice month.
    assert (spell["charged_price"], spell["amount"], spell["month"]) == (
        D("400.00"), D("400.00"), dt.date(2009, 1, 1),
    )  # fmt: skip
    assert spell["detail"] == (
        "RWG invoiced 9999 (2 line(s) from 2009-01, net £400.00): no spell RWG:9999 in the activity"
    )
    assert out.loc["RWH:1001", "amount"] == D("1200.00")
    ae = out.loc["RWG:E12"]
    assert (ae["dataset"], ae["month"], ae["activity_date"]) == (
        "ae", dt.date(2009, 3, 1), dt.date(2009, 3, 1),  # no activity date: the invoice month
    )  # fmt: skip
    assert ae["detail"].endswith("no A&E attendance RWG:E12 in the activity")


def test_no_invoices_no_invoice_findings(engine: Any, world: World) -> None:
    world.apc = [apc_row("RWG:1001", **extract(), discharge_date=day("2008-06-05"))]
    assert world.invoice_lines is None
    for rule in ("invoice_line_without_activity", "activity_not_invoiced"):
        assert flagged(world.find(engine, rule)) == set()


def _not_invoiced_world(world: World) -> None:
    jan = {"admission_date": day("2009-01-03"), "discharge_date": day("2009-01-12")}
    world.apc = [
        apc_row("RWG:1001", **extract(), **jan),  # invoiced in April
        apc_row("RWG:1002", **extract(), **jan),  # January: the window closed with March
        apc_row("RWG:1003", **extract(), admission_date=day("2009-02-01"),
                discharge_date=day("2009-02-05")),  # February: open until the end of April
        apc_row("S0000000001", **jan),  # pbc's own layout carries its charge
    ]  # fmt: skip
    world.op = [op_row("RWG:A1", **extract(), attendance_date=day("2008-12-10"))]
    world.invoice_lines = [line_row("1001", invoice_month=day("2009-04-01"))]


def test_activity_not_invoiced_after_the_window(engine: Any, world: World) -> None:
    _not_invoiced_world(world)
    out = world.find(engine, "activity_not_invoiced")
    # As of April 2009 (the latest invoice month), window 2 months: January's and December's
    # activity should have been invoiced by the end of March and February.
    assert flagged(out) == {"RWG:1002", "RWG:A1"}
    spell = out.loc["RWG:1002"]
    assert (spell["dataset"], spell["provider_code"], spell["month"]) == (
        "apc", "RWG", dt.date(2009, 1, 1),
    )  # fmt: skip
    assert (spell["charged_price"], spell["amount"]) == (D("0.00"), D("0.00"))  # not charged
    assert spell["detail"] == (
        "RWG spell RWG:1002 of 2009-01: no invoice line by 2009-04, the window of 2 month(s) "
        "after the month's end has closed"
    )
    assert out.loc["RWG:A1", "dataset"] == "op"
    assert out.loc["RWG:A1", "month"] == dt.date(2008, 12, 1)


def test_activity_not_invoiced_window_and_date_are_settings(engine: Any, world: World) -> None:
    _not_invoiced_world(world)
    later = v.ValidationSettings(invoices_as_of=dt.date(2009, 5, 1))
    assert flagged(world.find(engine, "activity_not_invoiced", later)) == {
        "RWG:1002", "RWG:1003", "RWG:A1",
    }  # fmt: skip
    longer = v.ValidationSettings(invoicing_window_months=3)
    assert flagged(world.find(engine, "activity_not_invoiced", longer)) == {"RWG:A1"}


def test_an_imaging_line_naming_a_spell_does_not_invoice_it(engine: Any, world: World) -> None:
    """A scan unbundled from spell 1002, charged on its own IMG line naming the spell: the line
    charges the scan, not the spell, so the spell is still not invoiced once its window closed
    (and the IMG line is not judged a charge without activity)."""
    _not_invoiced_world(world)
    assert world.invoice_lines is not None
    world.invoice_lines.append(
        line_row("1002", point_of_delivery="IMG", hrg_code="RA08Z", price=D("133.00"))
    )
    assert "RWG:1002" in flagged(world.find(engine, "activity_not_invoiced"))
    assert flagged(world.find(engine, "invoice_line_without_activity")) == set()


def test_imaging_lines_are_judged_against_the_scans(engine: Any, world: World) -> None:
    """With the `imaging` table, an IMG line charges a scan by the scan's id, or by the spell it
    was unbundled from and the line's HRG; a line charging no scan is an invoice line without
    activity (dataset "img"), its lines summed per id named."""
    _not_invoiced_world(world)
    world.imaging = [
        scan_row("RWG:S1", None, "RA01Z"),  # GP direct access, invoiced by its own id
        scan_row("I0000000002", "RWG:1002", "RA08Z"),  # unbundled from spell 1002
    ]
    assert world.invoice_lines is not None
    world.invoice_lines += [
        line_row("S1", point_of_delivery="IMG", hrg_code="RA01Z", price=D("195.00")),  # charged
        line_row("1002", point_of_delivery="IMG", hrg_code="RA08Z", price=D("133.00")),  # charged
        # spell 1002 had no scan of HRG RA01Z, and there is no scan S9 at all
        line_row("1002", point_of_delivery="IMG", hrg_code="RA01Z", price=D("195.00")),
        line_row("S9", point_of_delivery="IMG", hrg_code="RA01Z", price=D("195.00")),
        line_row("S9", point_of_delivery="IMG", hrg_code="RA01Z", price=D("-95.00"),
                 invoice_month=day("2009-02-01")),
    ]  # fmt: skip
    out = world.find(engine, "invoice_line_without_activity")
    assert flagged(out) == {"RWG:1002", "RWG:S9"}
    assert set(out["dataset"]) == {"img"}
    assert (out.loc["RWG:S9", "charged_price"], out.loc["RWG:S9", "amount"]) == (
        D("100.00"), D("100.00"),
    )  # fmt: skip
    assert out.loc["RWG:1002", "charged_price"] == D("195.00")
    assert out.loc["RWG:S9", "detail"] == (
        "RWG invoiced S9 (2 line(s) from 2009-01, net £100.00): no unbundled scan (by imaging "
        "id, or of that spell or attendance with the line's HRG) RWG:S9 in the activity"
    )
    # Without the imaging table the IMG lines are not judged (as before).
    world.imaging = None
    assert flagged(world.find(engine, "invoice_line_without_activity")) == set()
