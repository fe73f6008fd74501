"""Layout, measured in a real browser (issue 17): for each demo role, its main pages (every
menu item, every link of its home page's work list, and the second-click pages named in
`SECOND_CLICK`) at 1280 and at 375 pixels wide:

- no page is wider than the window (`document.documentElement.scrollWidth <= innerWidth`);
- every table is in its own scrolling box (`.pbc-table-scroll`), and at 1280 every table fits
  its box (the page is wide enough for it); at 375 a box whose table is wider scrolls, and is
  a focusable, named region (so that it scrolls from the keyboard);
- no negative amount has a sign that can wrap away from it (a hyphen-minus before £);
- on a page with charts, no legend overlaps its chart's plot area or axis titles.

Each page is loaded at 1280 and measured, then the window is narrowed to 375 and the page
measured again once its charts have been redrawn for the new width (`RESIZED`, as a phone's
rotation would). A page two roles share (an index, the locality's pages for its manager and
its board member) is measured once.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pbc.demo import DEMO_USERS
from pbc.web.jinja import MINUS, money
from signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (1280, 375)
HEIGHT = 900

# Pages a role's main work reaches with a second click, followed from its first-click pages
# (one of each): the board pack, the patient rows behind a finding, a statement's drill-down.
SECOND_CLICK = {"reports_board", "validation_patients", "finance_practice_rows"}

MEASURE = """() => {
  const rect = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const tables = Array.from(document.querySelectorAll("main table")).map((t) => {
    const box = t.closest(".pbc-table-scroll");
    return {
      name: t.id || t.className || "table",
      boxed: !!box && getComputedStyle(box).overflowX === "auto",
      overflows: !!box && box.scrollWidth > box.clientWidth + 1,
      focusable: !!box && box.getAttribute("tabindex") === "0" && box.getAttribute("role") === "region"
        && !!box.getAttribute("aria-label"),
    };
  });
  const charts = Array.from(document.querySelectorAll(".pbc-chart")).map((c) => {
    const part = (s) => { const e = c.querySelector(s); return e ? rect(e) : null; };
    return {id: c.id, drawn: !!c.querySelector(".main-svg"), legend: part(".legend"),
            plot: part(".nsewdrag"), xtitle: part(".g-xtitle"), ytitle: part(".g-ytitle")};
  });
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth, tables,
          charts, text: document.body.innerText};
}"""


# Narrowed: the window's resize handlers run (init.js marks the boxes that now scroll), and
# every chart is redrawn for its new width before the page is measured.
RESIZED = """async () => {
  window.dispatchEvent(new Event("resize"));
  const charts = Array.from(document.querySelectorAll(".pbc-chart")).filter((c) => c.dataset.drawn);
  await Promise.all(charts.map((c) => Plotly.Plots.resize(c)));
}"""


def settle(page: Any) -> None:
    """Wait (up to 5 s) for the page to fit the narrowed window: the header's menu is rebuilt
    by the frontend's script a moment after a resize (debounced). A page that does not fit by
    then is measured as it is, and fails."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "() => document.documentElement.scrollWidth <= innerWidth", timeout=5_000
        )


def overlap(a: list[float] | None, b: list[float] | None) -> bool:
    """Whether two rectangles [left, top, right, bottom] overlap (by more than a pixel)."""
    if a is None or b is None:
        return False
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def view_name(href: str) -> str | None:
    try:
        match = resolve(urlsplit(href).path)
    except Resolver404:
        return None
    return match.url_name


def same_site_links(page: Any, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    return [h for h in hrefs if h and h.startswith("/") and not h.startswith("//")]


def first_click_pages(page: Any, base: str) -> dict[str, str]:
    """The role's home, its menu and its home page's work list: one page per view."""
    chosen: dict[str, str] = {}
    page.goto(base + "/")
    first = same_site_links(page, ".nhsuk-header__navigation-list a, .pbc-work a")
    for href in ["/", *first]:
        name = view_name(href)
        if name and name not in chosen and not name.endswith(("_csv", "_xlsx", "_pdf")):
            chosen[name] = href
    return chosen


def second_click_links(page: Any, chosen: dict[str, str]) -> list[str]:
    """Links on this page to `SECOND_CLICK` views not chosen yet (one page per view)."""
    out = []
    for link in same_site_links(page, "main a"):
        name = view_name(link)
        if name in SECOND_CLICK and name not in chosen:
            chosen[name] = link.split("#")[0]
            out.append(chosen[name])
    return out


def problems_of(path: str, width: int, m: dict[str, Any]) -> list[str]:
    where = f"{path} at {width}px"
    out = []
    if m["scrollWidth"] > m["innerWidth"]:
        out.append(f"{where}: the page is {m['scrollWidth']}px wide")
    for t in m["tables"]:
        if not t["boxed"]:
            out.append(f"{where}: table {t['name']} is not in a scrolling box")
        elif width >= 1280 and t["overflows"]:
            out.append(f"{where}: table {t['name']} is wider than the page")
        elif t["overflows"] and not t["focusable"]:
            out.append(f"{where}: table {t['name']} scrolls but cannot be reached by keyboard")
    if "-£" in m["text"] or f"{MINUS[0]}£" in m["text"]:
        out.append(f"{where}: a negative amount whose sign can wrap away from it")
    for c in m["charts"]:
        if not c["drawn"]:
            continue
        for part in ("plot", "xtitle", "ytitle"):
            if overlap(c["legend"], c[part]):
                out.append(f"{where}: chart {c['id']}'s legend overlaps its {part}")
    return out


def test_each_roles_main_pages_fit_at_1280_and_375(live_url: str, page) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    visited: dict[str, int] = {}
    measured_paths: set[str] = set()
    tables = charts = 0
    one_per_role = {u.role: u for u in reversed(DEMO_USERS)}  # the first user of each role
    for user in sorted(one_per_role.values(), key=DEMO_USERS.index):
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        sign_in(page, live_url, user.username)
        chosen = first_click_pages(page, live_url)
        paths = list(chosen.values())
        for path in paths:  # (grows: second-click pages are added as they are found)
            if path in measured_paths and path != "/":  # each role's home is its own
                continue
            measured_paths.add(path)
            page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
            response = page.goto(live_url + path)
            assert response is not None and response.status == 200, (user.username, path)
            paths += second_click_links(page, chosen)
            if page.locator(".pbc-chart").count():
                page.wait_for_selector(".pbc-chart .main-svg", state="attached")
            for width in WIDTHS:
                if width != WIDTHS[0]:
                    page.set_viewport_size({"width": width, "height": HEIGHT})
                    page.evaluate(RESIZED)
                    settle(page)
                measured = page.evaluate(MEASURE)
                tables += len(measured["tables"])
                charts += sum(1 for c in measured["charts"] if c["drawn"])
                problems += problems_of(path, width, measured)
        visited[user.username] = len(paths)
        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/accounts/login/")
    assert not problems, "\n".join(problems)
    # The walk saw what it should: every role's pages, tables and the finance charts.
    assert len(visited) == 5 and all(n >= 4 for n in visited.values()), visited
    assert {"reports_board", "validation_patients"} <= {view_name(p) for p in measured_paths}
    assert tables > 50 and charts >= 2, (tables, charts)


def test_a_negative_amount_never_wraps_away_from_its_sign(page) -> None:  # type: ignore[no-untyped-def]
    """In a box one pixel wide the browser breaks a line wherever it may: the amount `money`
    writes stays on one line with its sign, where a hyphen-minus would not."""

    def lines(text: str) -> int:
        page.set_content(f'<p id="p" style="width:1px;font:16px/20px sans-serif">{text}</p>')
        return round(
            page.evaluate("document.getElementById('p').getBoundingClientRect().height") / 20
        )

    assert lines("-£1,234") == 2  # the measure works: a hyphen-minus lets the sign wrap
    assert lines(money(-1234)) == 1
    assert lines(money(-1234.5, pence=True)) == 1
    assert money(-1234) == "\u2212\u2060£1,234" and money(1234) == "£1,234"
