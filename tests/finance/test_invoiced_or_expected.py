"""The practice statement says which months and providers are invoiced and which expected: a
HES / SUS spell loaded with no invoice is expected spend, counted at its expected cost; when the
provider's invoice line arrives the month is invoiced and the statement moves by exactly the
invoice minus the expected cost (numbers worked by hand below).

The refresh runs over the session demo's app database and a small warehouse of its own (a few
hand-made rows), so every activity figure of the statement comes from the rows below."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from pbc.finance import statements
from pbc.finance.models import SpendFact
from pbc.finance.refresh import refresh
from pbc.orgs.models import Practice
from pbc.warehouse.ingest import import_file

JAN = dt.date(2009, 1, 1)
Rows = Callable[[str, str], list[tuple[dict[str, str], list[str]]]]

TARIFF = (
    "financial_year,year_start,point_of_delivery,hrg_code,treatment_function_code,"
    "hrg_description,price,trim_point_days,excess_bed_day_rate,short_stay_max_los_days,"
    "short_stay_min_age\n2008/09,2008-04-01,NEL,EB10Z,,,2000.00,7,200.00,,\n"
)
MFF = "financial_year,provider_code,market_forces_factor\n2008/09,RWG,1.1082\n"
SUS_HEADER = (
    "PROVSPNO,PSEUDO_HESID,PROCODE3,PURCODE,GPPRAC,SEX,STARTAGE,ADMIDATE,DISDATE,EPISTART,"
    "EPIORDER,EPISTAT,ADMIMETH,CLASSPAT,TRETSPEF,DIAG_4_01,OPERTN_4_01,DISMETH,SUSHRG,SPELDUR\n"
)
INVOICE_HEADER = (
    "Provider Code,Commissioner Code,Invoice Month,Spell Number,Point of Delivery,HRG,"
    "Treatment Function Code,Discharge Date,Excess Bed Days,MFF,Price\n"
)

# The spell: an emergency admission of 9 days (3 to 12 January 2009), HRG EB10Z.
# Expected cost: non-elective price 2,000.00, trim point 7 days, so 2 excess bed days at
# 200.00: (2,000.00 + 2 x 200.00) x MFF 1.1082 = 2,400.00 x 1.1082 = 2,659.68.
EXPECTED = D("2659.68")
# The provider's invoice for it: 2,700.00 (it charged 2 excess bed days at its own figures).
INVOICE = D("2700.00")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def small_warehouse(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory of its own (the app database stays the session demo's)."""
    monkeypatch.setenv("PBC_DATA_DIR", str(tmp_path))
    settings.DATA_DIR = tmp_path
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"
    return tmp_path


def load(folder: Path, dataset: str, name: str, text: str) -> None:
    result = import_file(dataset, write(folder, name, text), data_dir=folder)
    assert result.rows_loaded >= 1 and result.rows_rejected == 0, result


@pytest.mark.django_db
@pytest.mark.slow  # two finance refreshes (about 15 s)
def test_a_spell_is_expected_until_its_invoice_arrives_then_invoiced(
    small_warehouse: Path, client: Client, rows_of: Rows
) -> None:
    practice = (
        Practice.objects.filter(locality__pct__code="5P3")
        .select_related("locality__pct")
        .order_by("code")
        .first()
    )
    assert practice is not None
    folder = small_warehouse
    load(folder, "tariff", "tariff.csv", TARIFF)
    load(folder, "market_forces_factors", "mff.csv", MFF)
    load(
        folder,
        "practices",
        "practices.csv",
        "gp_practice_code,practice_name,locality_code,locality_name,pct_code,pct_name,"
        "region_code,parent_code,postcode,open_date,close_date,status_code,prescribing_setting,"
        f"commissioner_start_date\n{practice.code},A,dacorum,Dacorum,5P3,West Herts,,,,,,,,\n",
    )
    load(
        folder,
        "apc",
        "sus_apc.csv",
        SUS_HEADER + f"1001,P1,RWG,5P300,{practice.code},1,67,2009-01-03,2009-01-12,"
        "2009-01-03,1,3,21,1,300,I214,-,1,EB10Z,9\n",
    )

    refresh(JAN)
    before = statements.report([practice], JAN)
    assert before.invoicing is not None
    [month] = before.invoicing.months
    assert (month.month, month.provider_code, month.status) == (
        JAN, "RWG", "expected (no invoice yet)",
    )  # fmt: skip
    assert (month.invoiced, month.expected, month.expected_activity) == (D("0.00"), EXPECTED, 1)
    assert (before.invoicing.invoiced, before.invoicing.expected) == (D("0.00"), EXPECTED)
    fact = SpendFact.objects.get(practice=practice, source="activity")
    assert (fact.line, fact.charged, fact.at_tariff, fact.expected) == (
        "non_elective", EXPECTED, EXPECTED, True,
    )  # fmt: skip

    client.force_login(get_user_model().objects.get(username="analyst"))
    url = f"/finance/practices/{practice.code}/?month=2009-01"
    html = client.get(url).content.decode()
    [(attrs, cells), total] = rows_of(html, "invoicing")[1:]
    assert (attrs["month"], attrs["provider"], attrs["status"]) == (
        "2009-01", "RWG", "expected (no invoice yet)",
    )  # fmt: skip
    assert cells[3:] == ["£0.00", "£2,659.68", "£2,659.68"]
    assert total[1][3:] == ["£0.00", "£2,659.68", "£2,659.68"]

    # The provider's invoice line for the spell arrives.
    load(
        folder,
        "invoice_lines",
        "invoice.csv",
        INVOICE_HEADER + "RWG,5P300,2009-01,1001,Non-Elective,EB10Z,300,12/01/2009,2,1.1082,"
        "2700.00\n",
    )
    refresh(JAN)
    after = statements.report([practice], JAN)
    assert after.invoicing is not None
    [month] = after.invoicing.months
    assert (month.status, month.invoiced, month.expected) == ("invoiced", INVOICE, D("0.00"))
    assert (after.invoicing.invoiced, after.invoicing.expected) == (INVOICE, D("0.00"))
    # The statement moves by exactly the invoice minus the expected cost: 2,700.00 - 2,659.68.
    moved = after.statement.total.ytd_actual - before.statement.total.ytd_actual
    assert moved == INVOICE - EXPECTED == D("40.32")
    line = {li.line: li for li in after.statement.lines}["non_elective"]
    was = {li.line: li for li in before.statement.lines}["non_elective"]
    assert (was.month_actual, line.month_actual) == (EXPECTED, INVOICE)
    fact = SpendFact.objects.get(practice=practice, source="activity")
    assert (fact.charged, fact.at_tariff, fact.expected) == (INVOICE, EXPECTED, False)

    html = client.get(url).content.decode()
    [(attrs, cells), total] = rows_of(html, "invoicing")[1:]
    assert attrs["status"] == "invoiced"
    assert cells[3:] == ["£2,700.00", "£0.00", "£2,700.00"]
    # The statement's spreadsheet says the same.
    body = client.get(f"/finance/practices/{practice.code}/statement.xlsx?month=2009-01").content
    sheet = load_workbook(io.BytesIO(body))["Invoiced and expected"]
    rows = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert rows == [
        ["2009-01", "RWG", month.provider_name, "invoiced", 2700.0, 0.0, 2700.0],
        ["Total", None, None, None, 2700.0, 0.0, 2700.0],
    ]
