"""In a browser, under the site's content security policy: from each demo role's home page,
its main task is at most two clicks away (here: one click on the home page's work list)."""

from __future__ import annotations

import re

import pytest

from signin import sign_in

# Per demo user: the link on the home page, and the heading of the page it opens.
MAIN_TASK = {
    "analyst": ("Findings by practice and provider", "Validation of hospital charges"),
    "locality": ("Challenges awaiting sign-off", "Challenges for sign-off: Dacorum"),
    "board": ("Budget statement and forecast outturn", "Dacorum"),
    "practice": ("Findings to review", "Findings for"),
    "provider": ("Challenges awaiting your response", "Challenges to"),
}


@pytest.mark.browser
def test_each_roles_main_task_is_one_click_from_home(live_url: str, page) -> None:  # type: ignore[no-untyped-def]
    for username, (link, heading) in MAIN_TASK.items():
        sign_in(page, live_url, username)
        work = page.locator(".pbc-work")
        assert work.count() == 1, username
        work.get_by_role("link", name=re.compile("^" + re.escape(link))).first.click()
        page.wait_for_load_state()
        assert heading in page.locator("h1").inner_text(), username
        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/accounts/login/")
