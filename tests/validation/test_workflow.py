"""The challenge process on the test-scale demo: storing findings (idempotent), decisions,
sign-off, schedules, provider responses, the ledger, and who sees patient-level detail."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import Client
from openpyxl import Workbook, load_workbook

import module_db
from pbc.demo import DEMO_USERS
from pbc.orgs.models import AuditEvent, Provider
from pbc.validation import actions, files
from pbc.validation.models import Decision, Finding, Status
from pbc.validation.refresh import findings_records, refresh, validate_command

PRACTICE_A = next(u.organisation for u in DEMO_USERS if u.username == "practice")
PRACTICE_B = next(u.organisation for u in DEMO_USERS if u.username == "practice2")

pytestmark = pytest.mark.django_db


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


@pytest.fixture(scope="session")
def records(django_db_setup: None, django_db_blocker: Any) -> list[dict[str, Any]]:
    """The rules run once over the test warehouse (the analytics part of `refresh`)."""
    with django_db_blocker.unblock():
        return findings_records()


@pytest.fixture(scope="module", autouse=True)
def stored(records: list[dict[str, Any]], django_db_blocker: Any) -> Iterator[actions.StoreResult]:
    """The findings stored from scratch (the session demo stored them already: clear first),
    once for the module's tests (`module_db`: a test's own changes are rolled back when it
    ends)."""

    def store() -> actions.StoreResult:
        Finding.objects.all().delete()
        return actions.store_findings(records)

    with module_db.shared(django_db_blocker, store) as result:
        yield result


def a_finding(practice: str = PRACTICE_A, provider: str = "RWG") -> Finding:
    return (
        Finding.objects.filter(
            practice__code=practice, provider_code=provider, in_force=True, status=Status.OPEN
        )
        .exclude(amount=0)
        .order_by("key")
        .first()
    )  # type: ignore[return-value]


def test_refresh_is_idempotent_and_keeps_decisions(stored: actions.StoreResult) -> None:
    assert stored.created > 1000
    count = Finding.objects.count()
    f = a_finding()
    actions.decide(user("practice"), f.pk, "challenge", "Patient was not admitted")
    again = refresh()
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == count
    assert Finding.objects.count() == count
    f.refresh_from_db()
    assert f.status == Status.CHALLENGED and f.reason == "Patient was not admitted"
    # new data adds new findings: a finding removed from the app database comes back
    other = Finding.objects.exclude(pk=f.pk).order_by("key").first()
    assert other is not None
    key = other.key
    other.delete()
    assert refresh().created == 1
    assert Finding.objects.filter(key=key).exists()


def test_refresh_for_one_month_stores_that_month(stored: actions.StoreResult) -> None:
    Finding.objects.filter(month="2008-01-01").delete()
    result = refresh("2008-01")
    assert result.created > 0
    assert set(
        Finding.objects.filter(
            pk__in=Finding.objects.order_by("-pk")[: result.created]
        ).values_list("month", flat=True)
    ) == {__import__("datetime").date(2008, 1, 1)}


def test_decisions_are_audited_and_guarded(stored: actions.StoreResult) -> None:
    f = a_finding()
    with pytest.raises(actions.ActionRefused, match="reason"):
        actions.decide(user("practice"), f.pk, "challenge", "  ")
    with pytest.raises(actions.ActionRefused, match="permission"):
        actions.decide(user("practice2"), f.pk, "accept")  # another practice's patient
    with pytest.raises(actions.ActionRefused, match="permission"):
        actions.decide(user("locality"), f.pk, "accept")  # locality managers sign off only
    actions.decide(user("practice"), f.pk, "more_information", "Which procedure?", version=0)
    with pytest.raises(actions.ActionRefused, match="Someone else"):
        actions.decide(user("practice"), f.pk, "accept", version=0)  # a stale page
    actions.decide(user("practice"), f.pk, "accept", version=1)
    f.refresh_from_db()
    assert f.status == Status.ACCEPTED
    assert [d.action for d in f.decisions.all()] == ["more_information", "accept"]
    events = AuditEvent.objects.filter(object_type="Finding", object_id=str(f.pk), action="update")
    assert events.count() == 2
    latest = events.first()
    assert latest is not None
    assert latest.before["status"] == "more_information" and latest.after["status"] == "accepted"
    with pytest.raises(actions.ActionRefused, match="already accepted"):
        actions.decide(user("practice"), f.pk, "challenge", "changed my mind")


def test_information_only_findings_cannot_be_challenged(stored: actions.StoreResult) -> None:
    f = Finding.objects.filter(rule_id="emergency_readmission_30d", practice__code=PRACTICE_A)
    info = f.first()
    assert info is not None and not info.in_force and info.amount == Decimal("0.00")
    with pytest.raises(actions.ActionRefused, match="not in force"):
        actions.decide(user("practice"), info.pk, "challenge", "readmission")


def test_money_constraints() -> None:
    f = Finding(key="x:apc:1", rule_id="x", dataset="apc", row_id="1", provider_code="RWG",
                month="2008-01-01", activity_date="2008-01-01", charged_price=Decimal("10"),
                amount=Decimal("10"), challenged_amount=Decimal("5"),
                agreed_amount=Decimal("6"))  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        f.save()
    f.agreed_amount = Decimal("5")
    f.amount = Decimal("-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.save()


def _challenge_and_sign_off(n: int = 2) -> list[Finding]:
    chosen = list(
        Finding.objects.filter(
            practice__code=PRACTICE_A, provider_code="RWG", in_force=True, status=Status.OPEN
        )
        .exclude(amount=0)
        .order_by("key")[:n]
    )
    for f in chosen:
        actions.decide(user("practice"), f.pk, "challenge", f"not payable {f.row_id}")
    with pytest.raises(actions.ActionRefused, match="permission"):
        actions.sign_off(user("wh-locality"), [f.pk for f in chosen])  # another locality
    actions.sign_off(user("locality"), [f.pk for f in chosen])
    for f in chosen:
        f.refresh_from_db()
    return chosen


def test_schedule_response_and_ledger(stored: actions.StoreResult) -> None:
    first, second = _challenge_and_sign_off(2)
    client = Client()
    client.force_login(user("locality"))
    response = client.get("/validation/localities/dacorum/schedule.csv?provider=RWG")
    assert response.status_code == 200
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["finding"] for r in table} == {first.key, second.key}
    assert "nhs_number" not in table[0] and first.nhs_number not in response.content.decode()
    xlsx = client.get("/validation/localities/dacorum/schedule.xlsx?provider=RWG")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet.cell(3, 1).value in {first.key, second.key}
    assert AuditEvent.objects.filter(action="export", username="locality").count() == 2

    # the provider fills in the XLSX: agrees the first in part, disputes the second
    part = (first.challenged_amount / 2).quantize(Decimal("0.01"))
    for row in sheet.iter_rows(min_row=3):
        if row[0].value == first.key:
            row[11].value, row[13].value = "agreed", float(part)
        else:
            row[11].value, row[12].value = "Disputed", "Clinically necessary admission"
    out = io.BytesIO()
    sheet.parent.save(out)
    rows = files.read_response_file("answers.xlsx", out.getvalue())
    rwg = Provider.objects.get(code="RWG")
    with pytest.raises(actions.ActionRefused, match="permission"):
        actions.record_responses(user("practice"), rwg, rows, "answers.xlsx")
    record = actions.record_responses(user("provider"), rwg, rows, "answers.xlsx")
    assert (record.agreed, record.disputed) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.AGREED and first.recovered_amount == part
    assert first.written_off_amount == first.challenged_amount - part
    assert second.status == Status.DISPUTED
    actions.write_off(user("locality"), second.pk, "Not worth pursuing")
    second.refresh_from_db()
    assert second.written_off_amount == second.challenged_amount

    client.force_login(user("practice"))
    page = client.get("/validation/ledger/").content.decode()
    total = first.challenged_amount + second.challenged_amount
    assert f"£{total:,.2f}" in page
    assert f"£{part:,.2f}" in page  # agreed and recovered
    client.force_login(user("practice2"))  # another practice sees none of it
    assert "No challenges yet" in client.get("/validation/ledger/").content.decode()


def test_a_bad_response_file_changes_nothing(stored: actions.StoreResult) -> None:
    (f,) = _challenge_and_sign_off(1)
    text = f"finding,response,response_reason\n{f.key},agreed,\nrule:apc:nope,agreed,\n"
    rows = files.read_response_file("r.csv", text.encode())
    with pytest.raises(actions.ActionRefused, match="line 3"):
        actions.record_responses(user("analyst"), Provider.objects.get(code="RWG"), rows, "r.csv")
    f.refresh_from_db()
    assert f.status == Status.SIGNED_OFF
    assert not Decision.objects.filter(finding=f, action="agree").exists()
    wb = Workbook()
    with pytest.raises(files.ResponseFileError, match="finding"):
        out = io.BytesIO()
        wb.save(out)
        files.read_response_file("empty.xlsx", out.getvalue())


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("practice", True), ("analyst", True), ("practice2", False), ("locality", False),
     ("board", False), ("provider", False), ("enh-analyst", False)],
)  # fmt: skip
def test_patient_detail_only_for_own_practice_and_analysts(
    stored: actions.StoreResult, username: str, allowed: bool
) -> None:
    f = Finding.objects.filter(practice__code=PRACTICE_A).exclude(nhs_number="").first()
    assert f is not None
    client = Client()
    client.force_login(user(username))
    response = client.get(f"/validation/practices/{PRACTICE_A}/patients/?finding={f.key}")
    views = AuditEvent.objects.filter(action="view_patient_rows", username=username)
    if allowed:
        assert response.status_code == 200
        assert f.nhs_number in response.content.decode()
        event = views.get()
        assert event.object_type == "Practice" and f.key in event.detail
    else:
        assert response.status_code == 403
        assert f.nhs_number.encode() not in response.content
        assert not views.exists()
        assert AuditEvent.objects.filter(action="denied", username=username).exists()
    # the review page itself shows no NHS numbers
    if username in ("practice", "analyst"):
        page = client.get(f"/validation/practices/{PRACTICE_A}/?status=all&rule={f.rule_id}")
        assert page.status_code == 200
        assert f.nhs_number.encode() not in page.content


def test_validate_command_json_and_score(stored: actions.StoreResult) -> None:
    import json

    code, text = validate_command(score=True, as_json=True)
    assert code == 0
    rules = {r["id"]: r for r in json.loads(text)["rules"]}
    assert len(rules) == 13
    for r in rules.values():
        assert set(r) == {"id", "findings", "amount", "precision", "recall"}
        assert r["recall"] >= 0.98 and r["precision"] >= 0.95
    assert (
        rules["invalid_nhs_number"]["findings"]
        == Finding.objects.filter(rule_id="invalid_nhs_number").count()
    )
    code, text = validate_command(month="2008-13")
    assert code == 2 and "YYYY-MM" in text
    code, text = validate_command(month="2008-07")
    assert code == 0 and "July 2008" in text and "high_cost_activity" in text
