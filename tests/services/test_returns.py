"""Provider returns: a malformed return names every bad cell and stores nothing; acceptance with
known problems stores the whole return; a failure half-way stores nothing; report measures."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs.models import Membership, Provider
from pbc.services import actions, reports
from pbc.services.models import ProviderContract, ProviderReturn, ReturnRow
from pbc.services.return_templates import TEMPLATES
from pbc.services.tabular import Table, read_table
from pbc.services.validation import validate
from pbc.stats import proportion_ci
from services.return_files import csv_bytes

OPHTH = TEMPLATES["tier2-ophthalmology"]
GOOD = {
    "nhs_number": "9434765919",
    "date_of_birth": "1950-03-02",
    "gp_practice_code": "E82601",
    "referrer_type": "optometrist",
    "referral_date": "2009-01-05",
    "urgency": "routine",
    "triage_route": "electronic",
    "triage_outcome": "treated_in_primary_care",
    "appointment_date": "2009-01-19",
    "appointment_outcome": "treated_and_discharged",
    "prescribing_cost": "12.40",
    "diagnosis_code": "H40.1",
    "complaint": "N",
    "complaint_details": "",
    "waiting_days": "14",
}


def malformed() -> bytes:
    header = [c for c in OPHTH.column_names if c != "waiting_days"] + ["postcode"]
    rows = [
        dict(GOOD),
        dict(GOOD, nhs_number="9434765918"),  # row 3: check digit wrong
        dict(GOOD, referral_date="2008-12-31", appointment_date="2009-01-02"),  # row 4
        dict(GOOD, gp_practice_code="E81601", urgency="whenever"),  # row 5: two bad cells
        dict(GOOD, nhs_number="12345", date_of_birth="31/02/1950", referrer_type="dentist"),
    ]
    return csv_bytes(header, rows)


EXPECTED_BAD_CELLS = {
    (1, "waiting_days"),
    (1, "postcode"),
    (3, "nhs_number"),
    (4, "referral_date"),
    (5, "gp_practice_code"),
    (5, "urgency"),
    (6, "nhs_number"),
    (6, "date_of_birth"),
    (6, "referrer_type"),
}


@pytest.fixture
def ophthalmology(services_demo: None, db: None) -> tuple[ProviderContract, object]:
    contract = ProviderContract.objects.get(provider__code="NT4", template=OPHTH.key)
    user = get_user_model().objects.create_user("nt4-user")
    Membership.objects.create(user=user, role="provider_user", provider=contract.provider)
    return contract, user


def check(contract: ProviderContract, data: bytes, month: dt.date = dt.date(2009, 2, 1)):  # type: ignore[no-untyped-def]
    practices = frozenset(contract.locality.practices.values_list("code", flat=True))
    return validate(OPHTH, read_table(data, "r.csv"), month, practices, contract.locality.name)


def test_malformed_return_names_every_bad_cell_and_stores_nothing(ophthalmology) -> None:  # type: ignore[no-untyped-def]
    contract, user = ophthalmology
    before = (ProviderReturn.objects.count(), ReturnRow.objects.count())
    checked = check(contract, malformed(), dt.date(2009, 1, 1))
    assert {(p.row, p.column) for p in checked.problems} == EXPECTED_BAD_CELLS
    reasons = {(p.row, p.column): p.reason for p in checked.problems}
    assert "modulus 11" in reasons[(3, "nhs_number")]
    assert "January 2009" in reasons[(4, "referral_date")]
    assert "not a practice of Dacorum" in reasons[(5, "gp_practice_code")]
    assert not checked.acceptable  # wrong columns block even an explicit acceptance
    with pytest.raises(actions.Refused):
        actions.submit_return(
            user,
            contract,
            checked,
            filename="r.csv",
            sha256="0" * 64,
            accept_with_problems=True,
            note="please take it",
        )
    # Through the upload page: the report lists every bad cell; still nothing stored.
    client = Client()
    client.force_login(user)
    upload = io.BytesIO(malformed())
    upload.name = "january.csv"
    response = client.post(
        "/services/returns/providers/NT4/upload/",
        {"contract": contract.pk, "month": "2009-01", "file": upload},
    )
    assert response.status_code == 400
    page = response.content.decode()
    for row, column in EXPECTED_BAD_CELLS:
        assert f'data-row="{row}" data-column="{column}"' in page
    assert "Accept with known problems" not in page.split("</table>")[-1]
    assert (ProviderReturn.objects.count(), ReturnRow.objects.count()) == before


def test_cell_problems_need_explicit_acceptance_then_the_whole_return_is_stored(
    ophthalmology,
) -> None:  # type: ignore[no-untyped-def]
    contract, user = ophthalmology
    rows = [dict(GOOD, referral_date="2009-02-03", appointment_date="2009-02-17") for _ in range(4)]
    rows[1]["nhs_number"] = "9434765918"
    rows[2]["appointment_outcome"] = "did_not_attend"
    data = csv_bytes(OPHTH.column_names, rows)
    checked = check(contract, data)
    assert [(p.row, p.column) for p in checked.problems] == [(3, "nhs_number")]
    assert checked.acceptable
    with pytest.raises(actions.Refused):
        actions.submit_return(user, contract, checked, filename="f.csv", sha256="1" * 64)
    assert not ProviderReturn.objects.filter(contract=contract, period=dt.date(2009, 2, 1)).exists()
    stored = actions.submit_return(
        user,
        contract,
        checked,
        filename="f.csv",
        sha256="1" * 64,
        accept_with_problems=True,
        note="NHS number being corrected at source",
    )
    assert stored.status == "accepted_with_problems" and stored.rows.count() == 4
    assert stored.rows.get(row_number=3).values["nhs_number"] is None
    summary = reports.summarise(contract, [stored])
    assert summary.volume == 4 and summary.rows_with_problems == 1
    assert summary.dna.numerator == 1 and summary.dna.denominator == 4
    assert summary.dna.interval == proportion_ci(1, 4)
    assert summary.cost_per_case == contract.price_per_case
    assert summary.waits["0–2 weeks"] == 0 and summary.waits["2–4 weeks"] == 4
    # A clean resubmission supersedes it.
    rows[1]["nhs_number"] = GOOD["nhs_number"]
    again = actions.submit_return(
        user,
        contract,
        check(contract, csv_bytes(OPHTH.column_names, rows)),
        filename="f2.csv",
        sha256="2" * 64,
    )
    stored.refresh_from_db()
    assert again.current and not stored.current and again.status == "accepted"


def test_a_failure_while_storing_leaves_nothing_behind(ophthalmology) -> None:  # type: ignore[no-untyped-def]
    contract, user = ophthalmology
    current = ProviderReturn.objects.get(
        contract=contract, period=dt.date(2008, 12, 1), current=True
    )
    rows_before = ReturnRow.objects.count()
    checked = validate(
        OPHTH, Table(OPHTH.column_names, []), dt.date(2008, 12, 1), frozenset(), "Dacorum"
    )
    checked.header_problems.clear()
    checked.rows = check(
        contract, csv_bytes(OPHTH.column_names, [dict(GOOD)] * 3), dt.date(2009, 1, 1)
    ).rows
    checked.rows[2].values["diagnosis_code"] = {"not", "json"}  # fails half-way through
    with pytest.raises(TypeError):
        actions.submit_return(user, contract, checked, filename="x.csv", sha256="3" * 64)
    current.refresh_from_db()
    assert current.current
    assert (
        ProviderReturn.objects.filter(contract=contract, period=dt.date(2008, 12, 1)).count() == 1
    )
    assert ReturnRow.objects.count() == rows_before


def test_response_time_standards() -> None:
    ic, matrons = TEMPLATES["intermediate-care"], TEMPLATES["community-matrons"]
    at = dt.datetime
    assert ic.compliance.met(
        {"referral_datetime": at(2009, 1, 5, 9), "response_datetime": at(2009, 1, 5, 11)}
    )
    assert not ic.compliance.met(
        {"referral_datetime": at(2009, 1, 5, 9), "response_datetime": at(2009, 1, 5, 11, 1)}
    )
    assert (
        ic.compliance.met({"referral_datetime": at(2009, 1, 5, 21), "response_datetime": None})
        is None
    )
    friday, monday, tuesday = dt.date(2009, 1, 9), dt.date(2009, 1, 12), dt.date(2009, 1, 13)
    assert matrons.compliance.met({"referral_date": friday, "first_contact_date": monday})
    assert not matrons.compliance.met({"referral_date": friday, "first_contact_date": tuesday})
    christmas_eve = dt.date(2008, 12, 24)  # next working day is 29 December
    assert matrons.compliance.met(
        {"referral_date": christmas_eve, "first_contact_date": dt.date(2008, 12, 29)}
    )
    mrsa = TEMPLATES["mrsa-screening"]
    admitted = dt.date(2009, 1, 10)
    assert mrsa.compliance.met(
        {"screened": True, "screen_date": dt.date(2009, 1, 3), "admission_date": admitted}
    )
    assert not mrsa.compliance.met(
        {"screened": True, "screen_date": dt.date(2009, 1, 11), "admission_date": admitted}
    )
    assert not mrsa.compliance.met(
        {"screened": False, "screen_date": None, "admission_date": admitted}
    )


@pytest.mark.django_db
def test_xlsx_return_reads_like_csv(services_demo: None) -> None:
    from openpyxl import Workbook

    contract = ProviderContract.objects.get(provider__code="NT4", template=OPHTH.key)
    book = Workbook()
    sheet = book.active
    sheet.append(OPHTH.column_names)
    sheet.append(
        [dt.date(1950, 3, 2) if c == "date_of_birth" else GOOD[c] for c in OPHTH.column_names]
    )
    sheet.append([9434765918 if c == "nhs_number" else GOOD[c] for c in OPHTH.column_names])
    out = io.BytesIO()
    book.save(out)
    practices = frozenset(contract.locality.practices.values_list("code", flat=True))
    checked = validate(
        OPHTH, read_table(out.getvalue(), "r.xlsx"), dt.date(2009, 1, 1), practices, "Dacorum"
    )
    assert [(p.row, p.column, p.cell) for p in checked.problems] == [(3, "nhs_number", "A3")]
    assert Provider.objects.filter(code="NT4").exists()
