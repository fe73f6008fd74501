"""Enhanced-service claims on the web: the claims upload (`claims_upload`) and the batch
decisions on the locality page (`_decide_claims`: approve, reject, pay; all or nothing), and
`reject_claim` itself."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs.models import AuditEvent, Locality
from pbc.services import actions
from pbc.services.claims import check_claims
from pbc.services.models import Claim
from pbc.services.tabular import Table

Q4 = dt.date(2009, 1, 1)  # 2008/09 Q4: no demo claims
UPLOAD = "/services/enhanced/localities/dacorum/claims/"
LOCALITY_PAGE = "/services/enhanced/localities/dacorum/"


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def upload(text: str, name: str = "claims.csv") -> io.BytesIO:
    data = io.BytesIO(text.encode())
    data.name = name
    return data


def messages_of(page: str) -> list[str]:
    import re
    from html import unescape

    return [unescape(m) for m in re.findall(r'pbc-message"><p>(.*?)</p>', page, flags=re.S)]


def q4_claims(dacorum: Locality, *rows: list[object]) -> list[Claim]:
    table = Table(
        ["gp_practice_code", "service", "units"], [(i + 2, r) for i, r in enumerate(rows)]
    )
    return actions.submit_claims(None, dacorum, check_claims(dacorum, Q4, table))


def audit_updates(claim: Claim) -> int:
    return AuditEvent.objects.filter(
        object_type="Claim", object_id=str(claim.pk), action="update"
    ).count()


@pytest.fixture
def dacorum(services_demo: None, db: None) -> Locality:
    return Locality.objects.get(slug="dacorum")


def test_claims_upload_stores_a_clean_file_with_queried_over_cap_claims(dacorum: Locality) -> None:
    client = client_for("analyst")
    text = (
        "gp_practice_code,service,units\nE82601,smoking-cessation,10\nE82602,Smoking-Cessation,61\n"
    )
    response = client.post(UPLOAD, {"quarter": "2008/09 Q4", "file": upload(text)})
    assert response.status_code == 302
    assert response["Location"] == LOCALITY_PAGE + "?quarter=2008/09%20Q4"
    stored = {c.practice.code: c for c in Claim.objects.filter(quarter=Q4)}
    assert set(stored) == {"E82601", "E82602"}
    assert (stored["E82601"].status, stored["E82601"].amount) == ("submitted", Decimal("400.00"))
    assert stored["E82602"].status == "queried" and stored["E82602"].payable_units == 60
    assert stored["E82602"].amount == Decimal("2400.00")
    assert all(c.submitted_by == "analyst" for c in stored.values())
    assert AuditEvent.objects.filter(
        action="import", username="analyst", detail="enhanced service claims"
    ).exists()
    page = client.get(response["Location"]).content.decode()
    assert messages_of(page) == ["2 claims stored for 2008/09 Q4; 1 over the cap and queried"]
    assert f'data-claim="{stored["E82602"].pk}"' in page


def test_claims_upload_refuses_a_bad_file_naming_every_problem(
    dacorum: Locality, form_errors: Any
) -> None:
    client = client_for("analyst")
    before = Claim.objects.count()
    text = (
        "gp_practice_code,service,units\n"
        "E82601,smoking-cessation,10\n"
        "E81601,smoking-cessation,5\n"  # a Welwyn Hatfield practice
        "E82601,gynaecology,3\n"  # not signed up
        "E82603,smoking-cessation,ten\n"
    )
    response = client.post(UPLOAD, {"quarter": "2008/09 Q4", "file": upload(text)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "3 problem(s) in the claims: nothing has been stored" in page
    for row, column in [(3, "gp_practice_code"), (4, "service"), (5, "units")]:
        assert f'data-row="{row}" data-column="{column}"' in page
    assert 'data-row="2"' not in page
    assert Claim.objects.count() == before

    response = client.post(UPLOAD, {"quarter": "Q4 2008", "file": upload(text)})
    assert response.status_code == 400
    assert form_errors(response.content.decode()) == {
        "quarter": ["Enter the quarter like 2008/09 Q3."]
    }
    response = client.post(UPLOAD, {"quarter": "2008/09 Q4", "file": upload(text, "c.txt")})
    assert response.status_code == 400
    assert form_errors(response.content.decode()) == {
        "file": ["c.txt: the file must be a CSV (.csv) or Excel workbook (.xlsx)."]
    }
    assert Claim.objects.count() == before
    # Only those who manage services may upload.
    assert client_for("locality").post(UPLOAD, {"quarter": "2008/09 Q4"}).status_code == 403


def test_batch_approve_and_reject_on_the_locality_page(dacorum: Locality) -> None:
    a, b, c = q4_claims(
        dacorum,
        ["E82601", "smoking-cessation", 10],
        ["E82602", "smoking-cessation", 12],
        ["E82603", "smoking-cessation", 14],
    )
    client = client_for("analyst")
    url = LOCALITY_PAGE + "?quarter=2008/09%20Q4"
    response = client.post(url, {"claim": [a.pk, b.pk], "decision": "approve", "note": "checked"})
    assert response.status_code == 302 and response["Location"] == url
    for claim in (a, b):
        claim.refresh_from_db()
        assert (claim.status, claim.decided_by, claim.decision_note) == (
            "approved",
            "analyst",
            "checked",
        )
        assert audit_updates(claim) == 1
    assert messages_of(client.get(url).content.decode()) == ["2 claim(s): approve recorded."]

    # Rejecting needs a note: refused, nothing changed.
    client.post(url, {"claim": [c.pk], "decision": "reject", "note": " "})
    c.refresh_from_db()
    assert c.status == "submitted" and audit_updates(c) == 0
    assert messages_of(client.get(url).content.decode()) == [
        "Say why the claim is rejected. No claim has been changed."
    ]
    client.post(url, {"claim": [c.pk], "decision": "reject", "note": "no quit dates recorded"})
    c.refresh_from_db()
    assert (c.status, c.decision_note) == ("rejected", "no quit dates recorded")

    # Paying the approved ones in a month.
    client.post(url, {"claim": [a.pk, b.pk], "decision": "pay", "month": "2009-03"})
    for claim in (a, b):
        claim.refresh_from_db()
        assert claim.status == "paid" and claim.paid_month == dt.date(2009, 3, 1)
    # A board member may not decide.
    board = client_for("board")
    assert board.post(url, {"claim": [c.pk], "decision": "approve"}).status_code == 403


def test_a_failure_mid_batch_leaves_every_claim_as_it_was(dacorum: Locality) -> None:
    a, b, c = q4_claims(
        dacorum,
        ["E82601", "smoking-cessation", 10],
        ["E82602", "smoking-cessation", 12],
        ["E82603", "smoking-cessation", 14],
    )
    actions.reject_claim(None, b, "duplicate")  # the middle claim cannot be decided again
    client = client_for("analyst")
    url = LOCALITY_PAGE + "?quarter=2008/09%20Q4"
    before = AuditEvent.objects.filter(object_type="Claim").count()
    for decision in ("approve", "reject"):
        response = client.post(
            url, {"claim": [a.pk, b.pk, c.pk], "decision": decision, "note": "x"}
        )
        assert response.status_code == 302
        assert messages_of(client.get(url).content.decode()) == [
            "The claim is rejected: it cannot be decided. No claim has been changed."
        ]
        for claim, status in ((a, "submitted"), (b, "rejected"), (c, "submitted")):
            claim.refresh_from_db()
            assert claim.status == status, (decision, claim.practice.code)
        assert a.decided_by == "" and c.decided_by == ""
    # Paying a batch with one unapproved claim pays none of them.
    actions.approve_claim(None, a)
    client.post(url, {"claim": [a.pk, c.pk], "decision": "pay", "month": "2009-03"})
    assert messages_of(client.get(url).content.decode()) == [
        f"Claim {c.pk} is not approved: nothing has been paid. No claim has been changed."
    ]
    a.refresh_from_db()
    assert a.status == "approved" and a.paid_month is None
    assert AuditEvent.objects.filter(object_type="Claim").count() == before + 1  # a's approval
    # Nothing selected, or no decision: said so.
    client.post(url, {"decision": "approve"})
    assert messages_of(client.get(url).content.decode()) == [
        "Select the claims to decide. No claim has been changed."
    ]
    client.post(url, {"claim": [c.pk], "decision": "delete"})
    c.refresh_from_db()
    assert c.status == "submitted"


def test_reject_claim_needs_a_reason_and_frees_the_quarter_for_a_new_claim(
    dacorum: Locality,
) -> None:
    analyst = get_user_model().objects.get(username="analyst")
    (claim,) = q4_claims(dacorum, ["E82601", "smoking-cessation", 10])
    with pytest.raises(actions.Refused, match="Say why"):
        actions.reject_claim(analyst, claim, "  ")
    claim.refresh_from_db()
    assert claim.status == "submitted"
    rejected = actions.reject_claim(analyst, claim, "units not evidenced")
    assert (rejected.status, rejected.decided_by, rejected.decision_note) == (
        "rejected",
        "analyst",
        "units not evidenced",
    )
    event = AuditEvent.objects.get(object_type="Claim", object_id=str(claim.pk), action="update")
    assert event.before == {"status": "submitted"}
    assert event.after == {"status": "rejected", "note": "units not evidenced"}
    with pytest.raises(actions.Refused, match="rejected: it cannot be decided"):
        actions.approve_claim(analyst, rejected)
    # A rejected claim does not count as claimed: the practice may claim the quarter again.
    (again,) = q4_claims(dacorum, ["E82601", "smoking-cessation", 8])
    assert again.status == "submitted" and again.amount == Decimal("320.00")
