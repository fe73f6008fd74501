"""In a browser: a locality manager links a plan outcome to an indicator, with the plan's
target, and the board pack shows the indicator's latest value, the target and the SPC icons."""

from __future__ import annotations

import pytest

from signin import sign_in

SUBJECT = "outcome 13.1"  # Welwyn Hatfield: patient input ... community services closer to home
INDICATOR = "op-first-attendances"
TARGET = "more care in community services closer to home (fewer first outpatient attendances)"


@pytest.mark.browser
def test_manager_links_an_outcome_and_the_board_pack_shows_it(
    live_url: str,
    page,  # type: ignore[no-untyped-def]
) -> None:
    base = live_url
    sign_in(page, base, "wh-locality")
    page.goto(f"{base}/plans/localities/welwyn-hatfield/")
    page.click("a:has-text('Measures: link outcomes to indicators')")
    page.wait_for_url("**/plans/localities/welwyn-hatfield/measures/")

    section = page.locator(f"section[data-subject='{SUBJECT}']")
    assert section.locator("li[data-link]").count() == 0
    section.locator("select[name=indicator]").select_option(INDICATOR)
    section.locator("input[name=target]").fill(TARGET)
    section.locator("button:has-text('Link')").click()
    page.wait_for_url("**/plans/localities/welwyn-hatfield/measures/**")
    assert f"Linked {SUBJECT} to {INDICATOR}" in page.locator(".pbc-message").inner_text()
    linked = page.locator(f"section[data-subject='{SUBJECT}'] li[data-link='{INDICATOR}']")
    assert TARGET in linked.inner_text()

    page.goto(f"{base}/reports/localities/welwyn-hatfield/2009-01/")
    row = page.locator(f"tr[data-subject='{SUBJECT}'][data-indicator='{INDICATOR}']")
    assert row.count() == 1
    text = row.inner_text()
    assert TARGET in text and "First outpatient attendances per 1,000" in text
    assert "No data yet" not in text and "January 2009" in text
    variation = row.locator("[data-icon=variation]")
    assert variation.get_attribute("data-value") not in (None, "none")
    assert row.locator("[data-icon=variation] svg").count() == 1
    # The indicator has no numeric target of its own, so there is no assurance icon to show.
    assert row.locator("[data-icon=assurance]").count() == 0 and "No target" in text
