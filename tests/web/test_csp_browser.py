"""The content security policy in a real browser (issue 13): pages need no inline script or
style, the NHS.UK frontend starts and the Plotly charts draw under it.

Every browser test runs under the same policy (the `page` fixture fails a test on any violation
Chromium reports); this one walks the pages with charts, tabs and forms and checks the policy
itself."""

from __future__ import annotations

import re

import pytest

from pbc.demo import DEMO_USERS
from signin import sign_in

PRACTICE = next(user.organisation for user in DEMO_USERS if user.username == "practice")


def frontend_started(page) -> bool:  # type: ignore[no-untyped-def]
    """The template's nonce'd line marked the body, and static/init.js (a module, loaded after
    the page) started the header component."""
    page.wait_for_function(
        """() => document.body.classList.contains('nhsuk-frontend-supported')
            && document.querySelector('header[data-nhsuk-header-init]') !== null"""
    )
    return True


@pytest.mark.browser
def test_pages_with_charts_and_forms_work_under_the_policy(
    live_url: str,
    page,  # type: ignore[no-untyped-def]
    csp_violations: list[str],
) -> None:
    base = live_url
    response = page.goto(base + "/accounts/login/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9+/=]{20,}'", directives["script-src"])
    # styles: this site's stylesheets, and Plotly's two fixed <style> elements by their hashes
    assert re.fullmatch(r"'self'( 'sha256-[A-Za-z0-9+/=]{44}')*", directives["style-src"])
    assert directives["font-src"] == "'self'"  # no font host unless PBC_FONT_HOST names one
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert frontend_started(page)
    # The NHS.UK password input's "Show" button works (a frontend component, under the policy).
    page.fill("#id_password", "typed")
    page.click(".nhsuk-password-input__toggle")
    assert page.get_attribute("#id_password", "type") == "text"
    page.click(".nhsuk-password-input__toggle")
    assert page.get_attribute("#id_password", "type") == "password"

    # A form (sign-in, then the second factor's code), answered under form-action 'self'.
    sign_in(page, base, "analyst")
    assert frontend_started(page)

    # The finance statement: two charts drawn by static/charts.js from JSON data blocks.
    page.goto(f"{base}/finance/practices/{PRACTICE}/")
    page.wait_for_selector("#chart-cumulative .main-svg")
    page.wait_for_selector("#chart-lines .main-svg")
    assert page.eval_on_selector("#chart-cumulative", "el => el.offsetHeight") >= 420
    assert page.locator("#chart-cumulative .scatterlayer .trace").count() >= 1

    # An indicator: the SPC chart, then the funnel plot drawn when its tab is opened.
    page.goto(f"{base}/indicators/i/gp-referral-rate/?org=locality:dacorum")
    page.wait_for_selector("#spc-chart .main-svg")
    assert page.locator("#funnel-chart .main-svg").count() == 0
    page.click("#tab-funnel")
    page.wait_for_selector("#funnel-chart .main-svg")
    assert page.locator("#panel-spc").is_hidden()

    # The model card's calibration chart (population pages share the same macro).
    page.goto(f"{base}/population/risk/model/")
    page.wait_for_selector("#calibration-chart .main-svg")

    # Forms with selects, file inputs and buttons: the imports page and the targets form.
    for path in ("/imports/", "/indicators/targets/pct/west-herts/"):
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        assert page.locator("main form").count() >= 1, path
        assert frontend_started(page), path

    # Signing out is a POST form in the NHS.UK header.
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/accounts/login/")
    assert csp_violations == []


@pytest.mark.browser
@pytest.mark.any_database  # the login page's console in the browser: the same on either database
def test_a_violation_would_be_seen(
    live_url: str,
    page,  # type: ignore[no-untyped-def]
    csp_violations: list[str],
) -> None:
    """The watch on the console sees what the policy blocks: an inline style set as markup."""
    page.goto(live_url + "/accounts/login/")
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate("() => document.body.setAttribute('style', 'color: red')")
    assert page.evaluate("() => getComputedStyle(document.body).color") != "rgb(255, 0, 0)"
    assert any("style-src" in message for message in csp_violations), csp_violations
    csp_violations.clear()  # seen: the page fixture would otherwise fail this test
