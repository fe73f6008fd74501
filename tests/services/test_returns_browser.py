"""In a browser: a provider user uploads a return (a bad one first), a locality manager sees it
in the provider report."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import pytest

from pbc.demo import services as services_demo_module
from signin import sign_in


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.mark.browser
def test_provider_uploads_a_return_and_the_locality_manager_sees_it(
    live_url: str,
    page,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    base = live_url
    services_demo_module.load("test", report=lambda step: None)  # idempotent
    table = services_demo_module.mrsa_table(
        random.Random("browser"), dt.date(2009, 1, 1), ["E82601", "E82602", "E82603"], 12
    )
    rows = [list(cells) for _, cells in table.rows]
    bad = [list(r) for r in rows]
    bad[0][0] = "1234567890"  # NHS number failing the check digit
    bad[3][2] = "2008-12-31"  # admitted outside January 2009
    bad[5][1] = "Z99999"  # not a Dacorum practice
    bad_file = write_csv(tmp_path / "mrsa-bad.csv", table.header, bad)
    good_file = write_csv(tmp_path / "mrsa-2009-01.csv", table.header, rows)

    sign_in(page, base, "provider")
    page.click(".nhsuk-header__navigation-list a:has-text('Services')")
    page.wait_for_url("**/services/returns/providers/RWG/")
    page.click("a:has-text('Upload a return')")
    contract = page.locator("#id_contract option", has_text="MRSA").get_attribute("value")
    page.select_option("#id_contract", contract)
    page.fill("#id_month", "2009-01")
    page.set_input_files("#id_file", str(bad_file))
    page.click("button:has-text('Check the return')")
    problems = page.locator("#problems tbody tr")
    assert problems.count() == 3
    cells = {(r.get_attribute("data-row"), r.get_attribute("data-column")) for r in problems.all()}
    assert cells == {("2", "nhs_number"), ("5", "admission_date"), ("7", "gp_practice_code")}
    assert "Nothing has been stored" in page.content()

    page.goto(base + "/services/returns/providers/RWG/upload/")
    page.select_option("#id_contract", contract)
    page.fill("#id_month", "2009-01")
    page.set_input_files("#id_file", str(good_file))
    page.click("button:has-text('Check the return')")
    page.wait_for_url("**/services/returns/providers/RWG/?return=*")
    assert "accepted: 12 rows" in page.locator(".pbc-message").inner_text()

    page.context.clear_cookies()
    sign_in(page, base, "locality")
    page.goto(base + "/services/returns/localities/dacorum/?provider=RWG")
    section = page.locator("section[data-template='mrsa-screening']")
    section.locator("summary").first.click()
    demo_rows = 3 * 30
    assert "January 2009: 12" in section.inner_text()
    compliance = section.locator("tr[data-provider='RWG'] .pbc-compliance").inner_text()
    assert f"of {demo_rows + 12}" in compliance
    assert "nhs_number" not in page.content()  # aggregates only for the locality manager
    volume = section.locator("tr[data-provider='RWG'] .pbc-volume").inner_text()
    assert volume == str(demo_rows + 12)
