"""Every public page layout of the demo passes axe-core's WCAG 2.1 A and AA rules in a real browser.

The pages are those a crawl from /public/ reaches by same-site links to `@public` views, plus
every known public URL pattern filled with the demo's values (tests/web/public_site.py), one
organisation per indicator page (the others differ only in their figures). axe-core
comes from npm (package.json pins it) and is injected into each page after it has loaded and its
charts have been drawn, so colour contrast is judged on the styled page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from web.public_site import crawl, known_urls, same_layout

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.markup]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# The demo publishes 2 PCTs, 2 localities, their plans and patient surveys, and 37 indicators.
# Accessibility depends on the page's layout, not on whose figures it shows, so each indicator
# page is checked for one organisation (`same_layout`); the disclosure test reads them all.
MIN_PAGES = 50
NHS_BLUE = "rgb(0, 94, 184)"


def axe_violations(page: Any, script: str) -> list[dict[str, Any]]:
    # Run through DevTools, as the page's own scripts are not: the content security policy
    # rightly refuses an inline <script> tag, and axe is not part of the site.
    page.evaluate(script)
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return list(result["violations"])


def describe(path: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{path}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"      at {json.dumps(node['target'])}: {node['html'][:160]}")
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def test_every_public_page_passes_axe(page: Any, live_url: str) -> None:
    assert AXE.exists(), f"{AXE} is missing: `make install` runs npm ci"
    script = AXE.read_text()
    failures: dict[str, list[dict[str, Any]]] = {}
    charts = 0
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def visit(path: str) -> str | None:
        nonlocal charts
        response = page.goto(live_url + path)
        assert response is not None and response.status == 200, f"{path}: {response}"
        if "text/html" not in response.headers.get("content-type", ""):
            return None
        if page.locator(".pbc-chart").count():
            try:
                page.wait_for_selector(".pbc-chart .main-svg", state="attached", timeout=60_000)
            except Exception as error:
                raise AssertionError(f"{path}: the chart was not drawn ({errors})") from error
            charts += 1
        # the NHS.UK stylesheet is loaded: contrast is checked on what people see
        header = page.evaluate(
            "() => getComputedStyle(document.querySelector('.nhsuk-header')).backgroundColor"
        )
        assert header == NHS_BLUE, f"{path}: the NHS.UK stylesheet did not load ({header})"
        violations = axe_violations(page, script)
        if violations:
            failures[path] = violations
        return str(page.content())

    # One organisation per indicator layout: Dacorum's first, the locality with most published
    # months (so its pages carry the SPC chart with limits and icons).
    urls = sorted(known_urls(), key=lambda url: "org=locality:dacorum" not in url)
    pages = crawl(visit, urls, key=same_layout)

    assert not failures, "axe-core found WCAG 2.1 AA violations:\n" + "\n".join(
        describe(path, v) for path, v in failures.items()
    )
    assert len(pages) >= MIN_PAGES, f"only {len(pages)} public pages visited"
    kinds = {p.split("?")[0].rstrip("/").split("/")[1] for p in pages}
    assert {"public", "plans", "indicators", "services", "about"} <= kinds, kinds
    assert charts >= 10, f"only {charts} pages with an SPC chart were checked"


def test_axe_reports_a_broken_page(page: Any, live_url: str) -> None:
    """The harness is not vacuous: a public page spoiled in the browser fails the same run."""
    page.goto(live_url + "/public/")
    assert axe_violations(page, AXE.read_text()) == []
    page.evaluate(
        """() => {
        document.documentElement.removeAttribute('lang');
        const img = document.createElement('img'); img.src = '/assets/images/favicon.svg';
        document.querySelector('main').appendChild(img);
        const p = document.createElement('p'); p.textContent = 'faint';
        p.style.color = '#eeeeee'; document.querySelector('main').appendChild(p);
    }"""
    )
    found = {v["id"] for v in axe_violations(page, AXE.read_text())}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= found, found
