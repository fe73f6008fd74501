"""In a browser: a PCT analyst ticks three patients on a practice's case-finding list and takes
them onto a community matron's caseload; a user of another practice cannot see them; each view
of patient rows is audited."""

from __future__ import annotations

import pytest

from pbc.orgs.models import AuditEvent
from pbc.population.models import CaseloadEntry
from pbc.synth import geography
from signin import sign_in

DACORUM = geography.locality("dacorum")
PRACTICE_A = DACORUM.practices[0].code
PRACTICE_B = DACORUM.practices[1].code  # the "practice2" demo user's


@pytest.mark.browser
def test_analyst_takes_three_patients_on_and_another_practice_cannot_see_them(
    live_url: str,
    page,  # type: ignore[no-untyped-def]
) -> None:
    finding = f"{live_url}/population/practices/{PRACTICE_A}/case-finding/"
    caseload = f"/population/practices/{PRACTICE_A}/caseload/"
    sign_in(page, live_url, "analyst")
    page.goto(finding)
    rows = page.locator("#case-finding tbody tr")
    chosen = [rows.nth(i).get_attribute("data-nhs") for i in range(3)]
    for nhs in chosen:
        page.check(f"#take-{nhs}")
    page.fill("#matron", "Jo Bloggs")
    page.fill("#taken_on", "2008-04-01")
    page.click("button:has-text('Take onto caseload')")
    page.wait_for_url(live_url + caseload)
    assert "3 patient(s) taken onto Jo Bloggs's caseload" in page.content()
    shown = page.locator("#caseload tbody tr")
    assert sorted(shown.nth(i).get_attribute("data-nhs") or "" for i in range(3)) == sorted(
        n or "" for n in chosen
    )
    assert shown.count() == 3
    assert page.locator("#caseload-comparison tbody tr").count() == 2
    page.goto(finding)  # the list now marks them as on the caseload, with no box to tick
    for nhs in chosen:
        assert page.locator(f"tr[data-nhs='{nhs}'] .nhsuk-tag").inner_text() == "on caseload"
        assert page.locator(f"#take-{nhs}").count() == 0
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/accounts/login/")

    sign_in(page, live_url, "practice2")
    response = page.goto(live_url + caseload)
    assert response is not None and response.status == 403
    assert not any(n and n in page.content() for n in chosen)
    page.goto(f"{live_url}/population/practices/{PRACTICE_B}/caseload/")
    assert page.locator("#caseload-empty").count() == 1

    # (the demo's own caseload is at another Dacorum practice)
    mine = CaseloadEntry.objects.filter(practice__code=PRACTICE_A)
    assert sorted(mine.values_list("nhs_number", flat=True)) == sorted(n or "" for n in chosen)
    created = AuditEvent.objects.filter(
        username="analyst", action="create", object_type="CaseloadEntry",
        object_id__in=[str(pk) for pk in mine.values_list("pk", flat=True)],
    )  # fmt: skip
    assert created.count() == 3
    views = AuditEvent.objects.filter(action="view_patient_rows", username="analyst")
    assert [e.path for e in views.order_by("pk")] == [
        finding.removeprefix(live_url),
        caseload,
        finding.removeprefix(live_url),
    ]
    assert "3 patients" in views.get(path=caseload).detail
    assert AuditEvent.objects.filter(username="practice2", action="denied", path=caseload).exists()
    practice2_views = AuditEvent.objects.filter(username="practice2", action="view_patient_rows")
    assert [e.path for e in practice2_views] == [f"/population/practices/{PRACTICE_B}/caseload/"]
