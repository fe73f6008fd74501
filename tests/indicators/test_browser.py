"""In a browser: open an indicator, see its SPC chart and Making Data Count icons, switch to
the funnel plot."""

from __future__ import annotations

import ibis
import pytest

from indicators import handmade
from signin import sign_in


@pytest.mark.browser
def test_indicator_spc_icons_then_funnel(
    live_url: str,
    page,  # type: ignore[no-untyped-def]
) -> None:
    from pbc.indicators import refresh

    refresh.refresh(con=ibis.duckdb.connect(), tables=handmade.tables())
    base = live_url
    sign_in(page, base, "analyst")
    page.click(".nhsuk-header__navigation-list a:has-text('Indicators')")
    page.wait_for_url("**/indicators/")
    page.click("a:has-text('GP referrals per 1,000 weighted population')")
    page.wait_for_url("**/indicators/i/gp-referral-rate/")
    page.select_option("#org-select", "locality:dacorum")
    page.click("button:has-text('Show')")
    page.wait_for_url("**/indicators/i/gp-referral-rate/?org=locality%3Adacorum")

    # the SPC chart is drawn by Plotly (served locally), with its target-less icons
    page.wait_for_selector("#spc-chart .main-svg")
    assert page.locator("#spc-chart .scatterlayer .trace").count() >= 4  # values, mean, limits
    variation = page.locator("[data-icon='variation']")
    assert variation.is_visible()
    assert variation.get_attribute("data-value") in {"common cause", "improvement high",
        "improvement low", "concern high", "concern low", "neutral high", "neutral low"}  # fmt: skip
    assert page.locator("[data-icon='assurance']").is_visible()
    assert page.locator("#panel-funnel").is_hidden()

    page.click("#tab-funnel")
    page.wait_for_selector("#funnel-chart .main-svg")
    assert page.locator("#panel-spc").is_hidden()
    assert page.locator("#tab-funnel").get_attribute("aria-selected") == "true"
    # one point per Dacorum practice the analyst sees, and 95% / 99.8% limits
    table = page.locator("#funnel-table").inner_text()
    assert handmade.P1 in table and handmade.P2 in table
    assert page.locator("#funnel-chart .scatterlayer .trace").count() >= 6
