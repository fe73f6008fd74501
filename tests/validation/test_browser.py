"""In a browser: a practice user challenges a finding, the locality signs it off and exports the
schedule, the provider's response is imported, and the ledger shows the money recovered."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import signin
from pbc.demo import DEMO_USERS
from pbc.validation import actions
from pbc.validation.models import Finding, Status

PRACTICE_A = next(u.organisation for u in DEMO_USERS if u.username == "practice")


def sign_in(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(accept_downloads=True).new_page()
    page.set_default_timeout(15_000)
    signin.sign_in(page, base, username)
    return page


def finding(row_id: str, rule_id: str, amount: str) -> dict[str, Any]:
    return {
        "rule_id": rule_id, "dataset": "apc", "row_id": row_id, "nhs_number": "9990000018",
        "gp_practice_code": PRACTICE_A, "provider_code": "RWG", "commissioner_code": "5P3",
        "activity_date": dt.date(2008, 7, 3), "month": dt.date(2008, 7, 1),
        "charged_price": Decimal(amount), "amount": Decimal(amount), "in_force": True,
    }  # fmt: skip


@pytest.mark.browser
def test_challenge_to_recovery(live_url: str, browser: Any, tmp_path: Path) -> None:
    base = live_url
    # From no findings: the demo's own challenges (pbc.demo.challenges) would share the
    # sign-off list, RWG's schedule and the ledger with this one.
    Finding.objects.all().delete()
    actions.store_findings(
        [
            finding("S9000000001", "high_cost_activity", "3512.40"),
            finding("S9000000002", "duplicate_spell", "1200.00"),
        ]
    )
    key = "high_cost_activity:apc:S9000000001"

    # the practice challenges the costly spell and accepts the other
    page = sign_in(browser, base, "practice")
    page.get_by_role("link", name="Validation").first.click()
    page.click(f"a[href='/validation/practices/{PRACTICE_A}/']")
    row = page.locator(f"tr[data-finding='{key}']")
    row.locator("select[name=decision]").select_option("challenge")
    row.locator("textarea[name=reason]").fill("Clinical review: the stay was not needed")
    row.locator("button:has-text('Save')").click()
    page.wait_for_selector("text=Challenged (awaiting sign-off)")
    page.select_option("#status", "all")
    page.click("button:has-text('Show')")
    assert "Challenged" in page.locator(f"tr[data-finding='{key}'] td.status").inner_text()
    page.context.close()

    # the locality signs it off and exports the schedule for RWG
    page = sign_in(browser, base, "locality")
    page.goto(base + "/validation/localities/dacorum/")
    assert page.locator(f"#sign-off tr[data-finding='{key}']").count() == 1
    ticks = page.locator("#sign-off input[name=finding]")
    assert ticks.count() == 1 and not ticks.is_checked()  # nothing is ticked for the user
    page.click("button:has-text('Sign off the ticked challenges')")
    page.wait_for_selector("text=Tick the challenges to sign off")
    page.check(f"#sign-off tr[data-finding='{key}'] input[name=finding]")
    page.click("button:has-text('Sign off the ticked challenges')")
    page.wait_for_selector("text=1 challenge(s) signed off")
    with page.expect_download() as info:
        page.click("#schedules tr[data-provider='RWG'] a:has-text('CSV')")
    schedule = tmp_path / "schedule.csv"
    info.value.save_as(schedule)
    with page.expect_download() as info:
        page.click("#schedules tr[data-provider='RWG'] a:has-text('XLSX')")
    assert info.value.suggested_filename.endswith(".xlsx")
    page.context.close()

    with schedule.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["finding"] for r in rows] == [key]
    assert rows[0]["amount_challenged"] == "3512.40"
    rows[0]["response"] = "agreed"
    rows[0]["response_reason"] = "Coding error, credit on next invoice"
    answered = tmp_path / "answers.csv"
    with answered.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    # the provider uploads its response
    page = sign_in(browser, base, "provider")
    page.goto(base + "/validation/providers/RWG/")
    page.set_input_files("#file", str(answered))
    page.click("button:has-text('Upload responses')")
    page.wait_for_selector("text=Responses recorded: 1 agreed, 0 disputed")
    page.context.close()

    # the ledger shows the money recovered
    page = sign_in(browser, base, "locality")
    page.goto(base + "/validation/ledger/")
    line = page.locator(f"#ledger tr[data-practice='{PRACTICE_A}'][data-provider='RWG']")
    assert line.locator("td.recovered").inner_text() == "£3,512.40"
    assert page.locator("#ledger-total td.recovered").inner_text() == "£3,512.40"
    page.context.close()

    f = Finding.objects.get(key=key)
    assert f.status == Status.AGREED and f.recovered_amount == Decimal("3512.40")
    assert [d.action for d in f.decisions.all()] == ["challenge", "sign_off", "agree"]
