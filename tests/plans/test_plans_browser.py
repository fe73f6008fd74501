"""In a browser: a locality manager updates three milestones and downloads the PDF report."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from signin import sign_in

MILESTONES = {
    "dacorum-2008-09-1.1": ("amber", "Extended hours LES signed by eleven practices"),
    "dacorum-2008-09-2.1": ("complete", "Stop smoking clinics running in every surgery"),
    "dacorum-2008-09-3.1": ("red", "Carers register behind plan awaiting PCT funding"),
}


@pytest.mark.browser
def test_manager_updates_three_milestones_and_downloads_the_pdf(
    live_url: str,
    page,  # type: ignore[no-untyped-def]
) -> None:
    base = live_url
    sign_in(page, base, "locality")
    page.click(".nhsuk-header__navigation-list a:has-text('Plans')")
    page.wait_for_url("**/plans/localities/dacorum/")

    for key, (status, commentary) in MILESTONES.items():
        page.goto(f"{base}/plans/localities/dacorum/?month=2009-01")
        page.click(f"tr[data-milestone='{key}'] a:has-text('Update')")
        page.wait_for_url(f"**/plans/milestones/{key}/update/")
        page.select_option("#id_month", "2009-01")
        page.check(f"#status-{status}")
        page.fill("#id_commentary", commentary)
        page.click("button:has-text('Save update')")
        page.wait_for_url("**/plans/localities/dacorum/?month=2009-01")
        assert "updated for January 2009" in page.locator(".pbc-message").inner_text()
        row = page.locator(f"tr[data-milestone='{key}']")
        assert commentary in row.inner_text()

    page.goto(f"{base}/plans/localities/dacorum/report/?month=2009-01")
    with page.expect_download() as info:
        page.click("#download-pdf")
    download = info.value
    assert download.suggested_filename == "dacorum-plan-status-2009-01.pdf"
    with open(download.path(), "rb") as handle:
        data = handle.read()
    text = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages).split()
    )
    assert "Dacorum plan status report, January 2009" in text
    for _status, commentary in MILESTONES.values():
        assert commentary in text
