"""Today's ODS files in their current published layouts create today's organisations, and a
practice user of one of them sees its prescribing dashboard after an EPD import.

The files are built here in the layouts ODS and NHSBSA publish now:

- epraccur.csv: headerless, 27 columns (1 code, 2 name, 3 national grouping: the NHS England
  region Y60, 4 high level health geography: the ICB QUA, 10 postcode, 11 open date, 12 close
  date, 13 status, 14 organisation sub-type, 15 commissioner: the sub-ICB location, 16 join
  date, 17 left date, 18 telephone, 22 amended record indicator, 24 provider/purchaser,
  26 prescribing setting), dates YYYYMMDD. Sub-ICB locations are 3-character former CCG codes
  (15E) or, for those formed in July 2022, 5-character codes (D2P2L, NHS Black Country).
- ePCN.xlsx: sheets "PCNDetails" (PCN Code, PCN Name, Current Sub ICB Loc Code, Sub ICB
  Location, Open Date, Close Date, address) and "PCN Core Partner Details" (Partner Organisation
  Code, Partner Name, Practice Parent Sub ICB Loc Code and Name, PCN Code, PCN Name, PCN Parent
  Sub ICB Loc Code and Name, Practice to PCN Relationship Start and End Date), header cells
  broken over lines as ODS writes them, dates as date cells.
- the English Prescribing Dataset of 2024 (ICB_NAME, ICB_CODE, PCO_CODE D2P2L, SNOMED_CODE).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import Workbook
from tests.warehouse.real_samples import write_csv
from typer.testing import CliRunner

from pbc.cli import app
from pbc.indicators import refresh
from pbc.indicators.models import IndicatorValue
from pbc.orgs.actions import grant_membership
from pbc.orgs.models import Locality, OrgLink, Pct, Practice
from pbc.orgs.roles import Role

runner = CliRunner()
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"  # type: ignore[attr-defined]
    return tmp_path


def epraccur(code: str, name: str, sub_icb: str, icb: str, *, status: str = "A",
             closed: str = "", setting: str = "4") -> list[str]:  # fmt: skip
    row = [""] * 27
    row[0], row[1], row[2], row[3] = code, name, "Y60", icb
    row[4], row[7], row[9] = "HIGH STREET", "WEST BROMWICH", "B70 7PG"
    row[10], row[11], row[12], row[13] = "19740401", closed, status, "B"
    row[14], row[15], row[17] = sub_icb, "20220701", "0121 000000"
    row[21], row[23], row[25] = "0", sub_icb, setting
    return row


def epcn_workbook(path: Path) -> Path:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    details = wb.create_sheet("PCNDetails")
    details.append(["PCN Code", "PCN Name", "Current Sub ICB Loc Code", "Sub ICB Location",
                    "Open Date", "Close Date", "Address Line 1", "Postcode"])  # fmt: skip
    details.append(["U55555", "WEST BROMWICH CENTRAL PCN", "D2P2L", "NHS BLACK COUNTRY ICB - D2P2L",
                    dt.date(2020, 7, 1), None, "HIGH STREET", "B70 7PG"])  # fmt: skip
    core = wb.create_sheet("PCN Core Partner Details")
    core.append(["Partner\nOrganisation\nCode", "Partner\nName",
                 "Practice\nParent\nSub ICB Loc Code", "Practice\nParent\nSub ICB Loc Name",
                 "PCN Code", "PCN Name", "PCN Parent\nSub ICB Loc Code",
                 "PCN Parent\nSub ICB Loc Name", "Practice to PCN\nRelationship\nStart Date",
                 "Practice to PCN\nRelationship\nEnd Date"])  # fmt: skip
    for code, name in (("M88004", "SANDWELL HEALTH CENTRE"), ("M88006", "GREETS GREEN SURGERY")):
        core.append([code, name, "D2P2L", "NHS BLACK COUNTRY ICB - D2P2L", "U55555",
                     "WEST BROMWICH CENTRAL PCN", "D2P2L", "NHS BLACK COUNTRY ICB - D2P2L",
                     dt.date(2020, 7, 1), None])  # fmt: skip
    wb.create_sheet("PCN Non-Core Partner Details").append(["Partner Organisation Code"])
    wb.save(path)
    return path


EPD_2024 = ["YEAR_MONTH", "REGIONAL_OFFICE_NAME", "REGIONAL_OFFICE_CODE", "ICB_NAME", "ICB_CODE",
            "PCO_NAME", "PCO_CODE", "PRACTICE_NAME", "PRACTICE_CODE", "ADDRESS_1", "ADDRESS_2",
            "ADDRESS_3", "ADDRESS_4", "POSTCODE", "BNF_CHEMICAL_SUBSTANCE",
            "CHEMICAL_SUBSTANCE_BNF_DESCR", "BNF_CODE", "BNF_DESCRIPTION", "BNF_CHAPTER_PLUS_CODE",
            "QUANTITY", "ITEMS", "TOTAL_QUANTITY", "ADQUSAGE", "NIC", "ACTUAL_COST",
            "UNIDENTIFIED", "SNOMED_CODE"]  # fmt: skip


def epd_row(practice: str, bnf: str, name: str, quantity: str, items: int, cost: str) -> list[str]:
    return ["202403", "MIDLANDS", "Y60", "NHS BLACK COUNTRY INTEGRATED CARE BOARD", "QUA",
            "NHS BLACK COUNTRY ICB - D2P2L", "D2P2L", "SANDWELL HEALTH CENTRE", practice,
            "HIGH STREET", "", "WEST BROMWICH", "", "B70 7PG", bnf[:9], "", bnf, name,
            "01: Gastro-Intestinal System", quantity, str(items),
            str(float(quantity) * items), "", cost, cost, "N", "3xxxx"]  # fmt: skip


def test_current_ods_files_create_todays_organisations_and_a_dashboard(own_data: Path) -> None:
    rows = [
        epraccur("M88004", "SANDWELL HEALTH CENTRE", "D2P2L", "QUA"),
        epraccur("M88006", "GREETS GREEN SURGERY", "D2P2L", "QUA"),
        epraccur("M85001", "BIRMINGHAM PRACTICE", "15E", "QHL"),
        epraccur("M88099", "CLOSED SURGERY", "D2P2L", "QUA", status="C", closed="20230331"),
        epraccur("Y02905", "WALK-IN CENTRE", "D2P2L", "QUA", setting="3"),
    ]
    result = runner.invoke(
        app, ["import", "practices", str(write_csv(own_data / "epraccur.csv", rows)), "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "epraccur"
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (5, 5, 0)
    assert record["rows_flagged"] == 0  # 5-character sub-ICB codes are valid commissioners

    result = runner.invoke(
        app, ["import", "pcn_memberships", str(epcn_workbook(own_data / "ePCN.xlsx")), "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "epcn"
    assert (record["rows_read"], record["rows_loaded"], record["rows_flagged"]) == (2, 2, 0)

    black_country = Pct.objects.get(code="D2P2L")
    assert black_country.kind == "ccg_or_sub_icb"
    assert (black_country.parent_code, black_country.region_code) == ("QUA", "Y60")
    assert Pct.objects.get(code="15E").parent_code == "QHL"
    assert OrgLink.objects.filter(child_code="D2P2L", parent_kind="icb", parent_code="QUA").exists()
    sandwell = Practice.objects.get(code="M88004")
    assert sandwell.locality.kind == Locality.Kind.PCN and sandwell.locality.code == "U55555"
    assert sandwell.locality.name == "WEST BROMWICH CENTRAL PCN"
    assert sandwell.locality.pct == black_country
    assert Practice.objects.get(code="M88099").status == "C"
    assert not Practice.objects.filter(code="Y02905").exists()  # not a GP practice

    epd = [
        EPD_2024,
        epd_row(
            "M88004",
            "0103050L0AAAAAA",
            "Lansoprazole 15mg gastro-resistant capsules",
            "28",
            3,
            "4.05",
        ),  # fmt: skip
        epd_row(
            "M88004",
            "0103050L0AAAAAA",
            "Lansoprazole 15mg gastro-resistant capsules",
            "56",
            2,
            "5.40",
        ),  # fmt: skip
        epd_row(
            "M88004",
            "0103050P0AAAAAA",
            "Omeprazole 20mg gastro-resistant capsules",
            "28",
            5,
            "3.70",
        ),  # fmt: skip
        epd_row(
            "M88006",
            "0103050P0AAAAAA",
            "Omeprazole 20mg gastro-resistant capsules",
            "28",
            4,
            "2.96",
        ),  # fmt: skip
        epd_row("M88006", "21220000227", "Dressing (appliance)", "10", 1, "12.10"),
    ]
    result = runner.invoke(
        app, ["import", "prescribing", str(write_csv(own_data / "epd_202403.csv", epd)), "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["layout"] == "epd"
    assert (record["rows_read"], record["rows_loaded"], record["rows_flagged"]) == (5, 4, 0)

    refresh.refresh(indicator_ids=["prescribing-lansoprazole"])
    value = IndicatorValue.objects.get(
        indicator_id="prescribing-lansoprazole", level="practice", org_code="M88004"
    )
    assert (value.numerator, value.denominator) == (5, 10)
    assert value.month == dt.date(2024, 3, 1)

    user = get_user_model().objects.create_user("sandwell", password="a long passphrase 42")
    grant_membership(None, user, Role.PRACTICE_USER, sandwell)
    client = Client()
    client.force_login(user)
    page = client.get(f"/indicators/practices/{sandwell.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "SANDWELL HEALTH CENTRE" in html
    assert "Lansoprazole as a share of proton pump inhibitor items" in html
    assert "50.0" in html  # 5 of 10 PPI items
    assert client.get("/indicators/practices/M88006/").status_code in (403, 404)
