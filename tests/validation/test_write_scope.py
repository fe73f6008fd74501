"""Scope on the writes of the challenge process: a PCT answers only its own challenges.

Issue 13: as East and North Herts' analyst, the RWG provider page showed West Herts' signed-off
challenges, and a response file uploaded there marked a West Herts finding agreed. A challenge
response applies only to findings of the user's PCT (or, for a provider user, the provider's own
findings); the provider page shows a PCT only its own commissioners' rows.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pbc.demo import DEMO_USERS
from pbc.validation import actions
from pbc.validation.models import Decision, Finding, Status

PRACTICE_A = next(u.organisation for u in DEMO_USERS if u.username == "practice")

pytestmark = pytest.mark.django_db


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def signed_off_west_herts_finding() -> Finding:
    """One of Gade Valley's (West Herts, 5P3) RWG findings, challenged and signed off."""
    finding = (
        Finding.objects.filter(
            practice__code=PRACTICE_A, provider_code="RWG", in_force=True, status=Status.OPEN
        )
        .exclude(amount=0)
        .order_by("key")
        .first()
    )
    assert finding is not None
    actions.decide(user("practice"), finding.pk, "challenge", "not payable")
    actions.sign_off(user("locality"), [finding.pk])
    finding.refresh_from_db()
    assert finding.status == Status.SIGNED_OFF
    assert finding.pct is not None and finding.pct.code == "5P3"
    return finding


def response_file(finding: Finding) -> SimpleUploadedFile:
    text = f"finding,response,response_reason\n{finding.key},agreed,\n"
    return SimpleUploadedFile("answers.csv", text.encode(), content_type="text/csv")


def test_another_pcts_analyst_neither_sees_nor_answers_the_challenge() -> None:
    finding = signed_off_west_herts_finding()
    client = Client()
    client.force_login(user("enh-analyst"))  # East and North Herts (5P2)

    client.post("/validation/providers/RWG/", {"file": response_file(finding)})
    finding.refresh_from_db()
    assert finding.status == Status.SIGNED_OFF
    assert finding.recovered_amount == 0
    assert not Decision.objects.filter(finding=finding, action="agree").exists()
    with pytest.raises(actions.ActionRefused, match="not on RWG's schedule"):
        actions.record_responses(
            user("enh-analyst"),
            finding.provider,
            [actions.ResponseRow(2, finding.key, "agreed")],
            "answers.csv",
        )

    refused = client.get("/validation/providers/RWG/")  # says why the file was not applied
    assert "is not on RWG&#39;s schedule" in refused.content.decode()
    page = client.get("/validation/providers/RWG/")
    assert page.status_code == 200
    assert finding.key not in page.content.decode()
    schedule = client.get("/validation/providers/RWG/schedule.csv")
    assert finding.key not in schedule.content.decode()


def test_own_pct_analyst_and_the_provider_still_answer() -> None:
    finding = signed_off_west_herts_finding()
    client = Client()
    client.force_login(user("analyst"))  # West Herts (5P3)
    assert finding.key in client.get("/validation/providers/RWG/").content.decode()
    client.force_login(user("provider"))  # RWG's own user sees every commissioner's challenge
    assert finding.key in client.get("/validation/providers/RWG/").content.decode()
    client.post("/validation/providers/RWG/", {"file": response_file(finding)})
    finding.refresh_from_db()
    assert finding.status == Status.AGREED
    assert finding.recovered_amount == finding.challenged_amount
