"""The prescribing incentive scheme's pages: a PCT analyst uploads the year's targets and the
switch list through the imports page; the PCT, locality and practice pages show achievement,
payment and potential savings worked by hand; a practice user sees its own practice only and
is refused another's page; a bad target file is refused whole, naming row and column."""

from __future__ import annotations

import csv as csv_module
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from openpyxl import load_workbook

import import_page
from pbc.imports.actions import run_import
from pbc.imports.models import ImportRun
from pbc.orgs.models import AuditEvent

pytestmark = pytest.mark.django_db

ATORVA, SIMVA = "0212000B0AAABAB", "0212000Y0AAABAB"
P1, P2, P3 = "E82601", "E82602", "E82603"  # Dacorum practices (West Herts, 5P3)


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path: Path) -> Iterator[Path]:
    with override_settings(DATA_DIR=tmp_path / "data", WAREHOUSE_DIR=tmp_path / "data" / "wh"):
        yield tmp_path / "data"


def client(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def csv_bytes(rows: list[list[object]]) -> bytes:
    return "".join(",".join(str(c) for c in row) + "\n" for row in rows).encode()


def _load(tmp_path: Path, name: str, rows: list[list[object]]) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(csv_bytes(rows))
    run, _ = run_import(None, name, path)
    assert run.status == ImportRun.Status.LOADED, run.message


@pytest.fixture
def scheme(tmp_path: Path) -> None:
    """2008/09: P1 prescribes 30 atorvastatin and 90 simvastatin items (25.0% high-cost),
    P2 40 and 60 (40.0%), P3 10 and 90 (10.0%); March 2008 is outside the year. Atorvastatin
    costs £18 an item across the PCT, simvastatin £1.50."""
    head = ["gp_practice_code", "month", "bnf_code", "bnf_name", "items", "quantity",
            "net_ingredient_cost", "actual_cost"]  # fmt: skip
    rows: list[list[object]] = [head]
    for practice, atorva, simva in ((P1, 30, 90), (P2, 40, 60), (P3, 10, 90)):
        rows.append([practice, "2008-06-01", ATORVA, "Atorvastatin 20mg tablets", atorva,
                     28 * atorva, 18 * atorva, 18 * atorva])  # fmt: skip
        rows.append([practice, "2008-06-01", SIMVA, "Simvastatin 40mg tablets", simva,
                     28 * simva, 1.5 * simva, 1.5 * simva])  # fmt: skip
        rows.append([practice, "2008-03-01", ATORVA, "Atorvastatin 20mg tablets", 500,
                     28, 9000, 9000])  # fmt: skip
    _load(tmp_path, "prescribing", rows)
    sizes: list[list[object]] = [["gp_practice_code", "quarter_start", "sex", "age_band",
                                  "registered_patients", "snapshot_date"]]  # fmt: skip
    for practice, n in ((P1, 6000), (P2, 5000), (P3, 4000)):
        sizes.append([practice, "2009-01-01", "M", "0-4", n, "2009-01-01"])
    _load(tmp_path, "list_sizes", sizes)
    analyst = client("analyst")
    targets = [["year_start", "commissioner_code", "gp_practice_code", "indicator_id",
                "target_value", "payment_per_patient"]]  # fmt: skip
    for practice in (P1, P2, P3):
        targets.append(["2008-04-01", "5P3", practice, "prescribing-high-cost-statins", 25, "0.50"])
    run = import_page.upload(analyst, "targets.csv", csv_bytes(targets), "prescribing_targets")
    assert run.status == ImportRun.Status.LOADED, run.message
    buys = [["year_start", "commissioner_code", "from_bnf_code", "from_name", "to_bnf_code",
             "to_name", "note"],
            ["2008-04-01", "5P3", ATORVA, "Atorvastatin 20mg tablets", SIMVA,
             "Simvastatin 40mg tablets", "Not for patients at high risk"]]  # fmt: skip
    run = import_page.upload(analyst, "buys.csv", csv_bytes(buys), "good_buys")
    assert run.status == ImportRun.Status.LOADED, run.message


def test_pct_page_shows_achievement_payment_and_savings(scheme: None) -> None:
    html = client("analyst").get("/indicators/prescribing-scheme/pct/west-herts/").content.decode()
    # P1 on target (25.0% <= 25): 50p x 6,000 = £3,000.00; P2 at 40.0% missed; P3 10.0%
    # met: 50p x 4,000 = £2,000.00. Total £5,000.00.
    assert 'id="scheme-total-payment">£5,000.00<' in html
    assert "£3,000.00" in html and "£2,000.00" in html
    # Saving per item £18.00 - £1.50 = £16.50; potential savings 30, 40 and 10 items:
    # £495.00, £660.00, £165.00 = £1,320.00.
    assert "£16.50" in html
    assert 'id="scheme-total-saving">£1,320.00<' in html
    csv = client("analyst").get("/indicators/prescribing-scheme/pct/west-herts/?format=csv")
    table = list(csv_module.reader(io.StringIO(csv.content.decode())))
    assert table[0][:2] == ["practice", "measure"]
    assert [P2, "prescribing-high-cost-statins", "40", "100", "40.0", "25.0", "no", "5000",
            "0.00"] in table  # fmt: skip


def test_practice_and_locality_pages_are_scoped(scheme: None) -> None:
    own = client("practice").get(f"/indicators/prescribing-scheme/practices/{P1}/")
    html = own.content.decode()
    assert own.status_code == 200
    assert f'data-practice="{P1}"' in html and f'data-practice="{P2}"' not in html
    assert 'id="scheme-total-payment">£3,000.00<' in html
    assert 'id="scheme-total-saving">£495.00<' in html
    refused = client("practice").get(f"/indicators/prescribing-scheme/practices/{P2}/")
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="denied", username="practice").exists()
    locality = client("locality").get("/indicators/prescribing-scheme/localities/dacorum/")
    html = locality.content.decode()
    assert f'data-practice="{P2}"' in html and f'data-practice="{P3}"' in html
    other = client("wh-locality").get("/indicators/prescribing-scheme/localities/dacorum/")
    assert other.status_code == 403
    assert (
        client("locality").get("/indicators/prescribing-scheme/pct/west-herts/").status_code == 403
    )


def test_a_bad_target_file_is_refused_whole(scheme: None) -> None:
    bad = [["year_start", "commissioner_code", "gp_practice_code", "indicator_id",
            "target_value", "payment_per_patient"],
           ["2009-04-01", "5P3", P1, "prescribing-high-cost-statins", 20, "0.50"],
           ["2009-04-01", "5P3", P2, "prescribing-high-cost-statins", -3, "0.50"]]  # fmt: skip
    run = import_page.upload(client("analyst"), "bad.csv", csv_bytes(bad), "prescribing_targets")
    assert run.status != ImportRun.Status.LOADED
    assert "target_value" in run.message and "3" in run.message
    page = client("analyst").get("/indicators/prescribing-scheme/pct/west-herts/?year=2009")
    assert "No scheme targets" in page.content.decode() or "2009/10" not in page.content.decode()


def test_board_pack_shows_the_scheme_to_the_month(scheme: None) -> None:
    """Dacorum's January 2009 board pack: targets met, payments and the switch list as worked
    by hand above, on the page and in the XLSX; the May 2008 pack counts only April and May
    (no statin items yet): nothing assessed, nothing paid."""
    html = client("locality").get("/reports/localities/dacorum/2009-01/").content.decode()
    assert "2 of 3 practice targets met" in html and "£5,000.00 payable" in html
    rows = dict(re.findall(r'data-practice="(E8260\d)" data-payment="([\d.]+)"', html))
    assert (rows[P1], rows[P2], rows[P3]) == ("3000.00", "0.00", "2000.00")
    # £16.50 a item x (30 + 40 + 10) atorvastatin items in the locality = £1,320.00.
    assert re.search(r'id="board-good-buys".*£16\.50.*>80<.*£1,320\.00', html, re.S)
    xlsx = client("locality").get("/reports/localities/dacorum/2009-01/?format=xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx))["Prescribing scheme"]
    assert (P1, 1, 1, 3000, 495) in [r[1:6] for r in sheet.iter_rows(values_only=True)]
    early = client("locality").get("/reports/localities/dacorum/2008-05/").content.decode()
    assert "0 of 3 practice targets met" in early and "£0.00 payable" in early
    assert "not assessed" in early
