"""Provider returns on hand-made files: validation and report figures per template (intermediate
care, community matrons, Tier 2 ophthalmology), cost per case over valid costs only, totals
across two providers, values beyond the header, and the web "accept with known problems" path."""

from __future__ import annotations

import datetime as dt
import io
import re
import statistics
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.orgs.models import AuditEvent, Locality, Membership, Provider
from pbc.services import actions, feeds, reports
from pbc.services.claims import check_claims
from pbc.services.models import ProviderContract, ProviderReturn
from pbc.services.return_templates import TEMPLATES
from pbc.services.tabular import read_table
from pbc.services.validation import validate
from pbc.services.views import KEPT_RETURNS
from pbc.stats import proportion_ci
from pbc.web.uploads import kept
from services.return_files import csv_bytes

JANUARY = dt.date(2009, 1, 1)
FEBRUARY = dt.date(2009, 2, 1)
NHS = "9434765919"
PRACTICE = "E82601"


def checked(contract: ProviderContract, data: bytes, month: dt.date = JANUARY):  # type: ignore[no-untyped-def]
    template = TEMPLATES[contract.template]
    practices = frozenset(contract.locality.practices.values_list("code", flat=True))
    return validate(template, read_table(data, "r.csv"), month, practices, contract.locality.name)


def store(contract: ProviderContract, data: bytes, month: dt.date = JANUARY) -> ProviderReturn:
    result = checked(contract, data, month)
    return actions.submit_return(
        None,
        contract,
        result,
        filename="hand-made.csv",
        sha256="a" * 64,
        accept_with_problems=bool(result.problems),
        note="hand-made test return" if result.problems else "",
    )


def contract_for(template: str, code: str, price: Decimal | None = None) -> ProviderContract:
    provider, _ = Provider.objects.get_or_create(
        code=code, defaults={"name": f"Hand-made provider {code}", "kind": "community"}
    )
    return ProviderContract.objects.create(
        provider=provider,
        locality=Locality.objects.get(slug="dacorum"),
        template=template,
        price_per_case=price,
    )


@pytest.fixture
def demo(services_demo: None, db: None) -> None:
    return None


# --- intermediate care: response within 2 hours, 12 hours a day -------------------------------


def test_intermediate_care_return_validates_and_reports_two_hour_compliance(demo: None) -> None:
    contract = contract_for("intermediate-care", "NQ1")
    template = TEMPLATES["intermediate-care"]
    base = {"nhs_number": NHS, "gp_practice_code": PRACTICE, "outcome": "remained_at_home"}
    rows = [
        dict(base, referral_datetime="2009-01-05 09:00", response_datetime="2009-01-05 10:30"),
        dict(base, referral_datetime="2009-01-05 09:00", response_datetime="2009-01-05 11:00"),
        dict(base, referral_datetime="2009-01-06 09:00", response_datetime="2009-01-06 11:01"),
        dict(base, referral_datetime="2009-01-07 14:00", response_datetime=""),  # never
        dict(base, referral_datetime="2009-01-07 19:59", response_datetime="2009-01-07 21:30"),
        dict(base, referral_datetime="2009-01-08 21:00", response_datetime="2009-01-09 08:00"),
        dict(
            base,
            referral_datetime="2009-01-09 07:59",
            response_datetime="2009-01-09 08:30",
            outcome="admitted_to_hospital",
        ),
    ]
    header = template.column_names
    clean = checked(contract, csv_bytes(header, rows))
    assert clean.problems == []
    # Bad cells: a response before its referral, a referral outside January, an unknown outcome.
    bad = checked(
        contract,
        csv_bytes(
            header,
            [
                *rows,
                dict(
                    base, referral_datetime="2009-01-10 10:00", response_datetime="2009-01-10 09:00"
                ),
                dict(base, referral_datetime="2009-02-01 10:00", response_datetime=""),
                dict(base, referral_datetime="2009-01-11 10:00", outcome="went home"),
                dict(base, referral_datetime="2009-01-12 25:00"),
            ],
        ),
    )
    assert {(p.row, p.column) for p in bad.problems} == {
        (9, "response_datetime"),
        (10, "referral_datetime"),
        (11, "outcome"),
        (12, "referral_datetime"),
    }
    reasons = {(p.row, p.column): p.reason for p in bad.problems}
    assert reasons[(9, "response_datetime")] == "is before the referral"
    assert "January 2009" in reasons[(10, "referral_datetime")]

    summary = reports.summarise(contract, [store(contract, csv_bytes(header, rows))])
    # In hours (08:00-19:59): rows 2 to 6 apply; 2 (90 minutes), 3 (exactly 2 hours) and 6
    # (19:59 to 21:30) are within 2 hours; the 21:00 and 07:59 referrals are out of hours.
    assert summary.compliance is not None
    assert (summary.compliance.numerator, summary.compliance.denominator) == (3, 5)
    assert summary.compliance.interval == proportion_ci(3, 5)
    assert summary.volume == 7 and summary.volume_by_period == {"January 2009": 7}
    assert summary.outcomes["outcome"] == {
        "remained_at_home": 6,
        "admitted_to_hospital": 1,
        "residential_care": 0,
        "died": 0,
    }
    assert summary.dna is None and summary.cost is None and summary.cost_per_case is None


# --- community matrons: contact within one working day ----------------------------------------


def test_community_matrons_return_validates_and_reports_working_day_compliance(demo: None) -> None:
    contract = contract_for("community-matrons", "NQ2")
    template = TEMPLATES["community-matrons"]
    base = {"nhs_number": NHS, "gp_practice_code": PRACTICE, "care_plan_agreed": "Y"}
    rows = [
        dict(base, referral_date="2009-01-05", first_contact_date="2009-01-05"),  # Mon, same day
        dict(base, referral_date="2009-01-09", first_contact_date="2009-01-12"),  # Fri -> Mon
        dict(base, referral_date="2009-01-09", first_contact_date="2009-01-13"),  # Fri -> Tue
        dict(base, referral_date="2009-01-14", first_contact_date="2009-01-16"),  # Wed -> Fri
        dict(base, referral_date="2008-12-31", first_contact_date="2009-01-02"),  # out of month
        dict(base, referral_date="2009-01-20", first_contact_date="", care_plan_agreed="N"),
        dict(base, referral_date="2009-01-21", first_contact_date="2009-01-20"),  # before
        dict(
            base, referral_date="2009-01-22", first_contact_date="2009-01-23", care_plan_agreed="?"
        ),
    ]
    header = template.column_names
    result = checked(contract, csv_bytes(header, rows))
    assert {(p.row, p.column) for p in result.problems} == {
        (6, "referral_date"),
        (8, "first_contact_date"),
        (9, "care_plan_agreed"),
    }
    assert result.acceptable
    summary = reports.summarise(contract, [store(contract, csv_bytes(header, rows))])
    # Rows with a valid referral: 2, 3, 4, 5, 7, 9 (8's contact failed, so it was not made in
    # time); met: 2 (same day), 3 (Monday after Friday), 9 (next day).
    assert summary.compliance is not None
    assert (summary.compliance.numerator, summary.compliance.denominator) == (3, 7)
    assert summary.compliance.interval == proportion_ci(3, 7)
    waits = [0, 3, 4, 2, 1]  # days to first contact where both dates are valid
    assert summary.median_wait_days == statistics.median(waits) == 2
    assert summary.waits["0–2 weeks"] == 5 and sum(summary.waits.values()) == 5
    assert summary.rows == 8 and summary.rows_with_problems == 3


# --- Tier 2 ophthalmology: triage and appointment outcomes, median wait -----------------------

OPHTH_BASE = {
    "nhs_number": NHS,
    "date_of_birth": "1950-03-02",
    "gp_practice_code": PRACTICE,
    "referrer_type": "optometrist",
    "referral_date": "2009-01-05",
    "urgency": "routine",
    "triage_route": "electronic",
    "triage_outcome": "treated_in_primary_care",
    "complaint": "N",
}


def test_tier2_ophthalmology_report_counts_outcomes_and_the_median_wait(demo: None) -> None:
    contract = contract_for("tier2-ophthalmology", "NQ3", Decimal("95.00"))
    template = TEMPLATES["tier2-ophthalmology"]
    seen = dict(OPHTH_BASE)
    rows = [
        dict(seen, appointment_date="2009-01-12", appointment_outcome="treated_and_discharged"),
        dict(seen, appointment_date="2009-01-19", appointment_outcome="did_not_attend"),
        dict(seen, appointment_date="2009-02-04", appointment_outcome="referred_on"),
        dict(
            seen,
            appointment_date="2009-01-26",
            appointment_outcome="self_discharge",
            waiting_days="21",
            referrer_type="gp",
            urgency="urgent",
        ),
        dict(OPHTH_BASE, triage_outcome="forwarded_to_acute", triage_route="paper"),
        dict(OPHTH_BASE, triage_outcome="returned_to_referrer", referrer_type="a_and_e"),
        dict(seen, appointment_date="2009-01-15", appointment_outcome="treated_and_discharged"),
    ]
    result = checked(contract, csv_bytes(template.column_names, rows))
    assert result.problems == []
    summary = reports.summarise(contract, [store(contract, csv_bytes(template.column_names, rows))])
    assert summary.outcomes["triage_outcome"] == {
        "forwarded_to_acute": 1,
        "returned_to_referrer": 1,
        "treated_in_primary_care": 5,
    }
    assert summary.outcomes["appointment_outcome"] == {
        "did_not_attend": 1,
        "self_discharge": 1,
        "treated_and_discharged": 2,
        "referred_on": 1,
    }
    assert summary.outcomes["referrer_type"]["gp"] == 1
    assert summary.outcomes["referrer_type"]["a_and_e"] == 1
    assert summary.outcomes["triage_route"]["paper"] == 1
    assert summary.outcomes["urgency"] == {"urgent": 1, "soon": 0, "routine": 6}
    waits = [7, 14, 30, 21, 10]  # referral 5 January to each appointment
    assert summary.median_wait_days == statistics.median(waits) == 14
    assert summary.waits == {
        "0–2 weeks": 2,
        "2–4 weeks": 2,
        "4–8 weeks": 1,
        "8–13 weeks": 0,
        "13–18 weeks": 0,
        "18 weeks or more": 0,
    }
    assert (summary.dna.numerator, summary.dna.denominator) == (1, 5)
    assert summary.cases == 7 and summary.cost_per_case == Decimal("95.00")
    # The locality manager's report page shows the same figures.
    client = Client()
    client.force_login(get_user_model().objects.get(username="locality"))
    page = client.get("/services/returns/localities/dacorum/?provider=NQ3").content.decode()
    row = re.search(r'<tr class="nhsuk-table__row" data-provider="NQ3">(.*?)</tr>', page, re.S)
    assert row is not None
    # provider, referrals, DNA rate, median wait (days), cost per case, rows with problems
    cells = [text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)]
    assert cells[0] == "Hand-made provider NQ3" and cells[1] == "7"
    assert cells[2].startswith("20.0%") and cells[3] == "14" and cells[4] == "£95.00"
    table = re.search(r'data-column="triage_outcome">(.*?)</table>', page, re.S)
    assert table is not None
    pairs = re.findall(r"<td[^>]*>([^<]*)</td><td[^>]*>(\d+)</td>", table.group(1))
    assert pairs == [
        ("forwarded to acute", "1"),
        ("returned to referrer", "1"),
        ("treated in primary care", "5"),
    ]


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()


# --- cost per case and across-provider totals -------------------------------------------------

PHYSIO_BASE = {
    "nhs_number": NHS,
    "date_of_birth": "1950-03-02",
    "gp_practice_code": PRACTICE,
    "referral_date": "2009-01-05",
    "first_appointment_date": "2009-01-12",
    "attendances": "3",
    "dna_count": "0",
    "case_status": "discharged",
}


def physio(costs: list[str], dnas: list[str] | None = None) -> bytes:
    dnas = dnas or ["0"] * len(costs)
    rows = [dict(PHYSIO_BASE, case_cost=c, dna_count=d) for c, d in zip(costs, dnas, strict=True)]
    return csv_bytes(TEMPLATES["physiotherapy"].column_names, rows)


def test_cost_per_case_divides_by_rows_with_a_valid_cost(demo: None) -> None:
    contract = contract_for("physiotherapy", "NQ4")
    stored = store(contract, physio(["100.00", "200.00", "two hundred", "-5.00"]))
    assert stored.status == "accepted_with_problems"
    assert [p["column"] for p in stored.problems] == ["case_cost", "case_cost"]
    summary = reports.summarise(contract, [stored])
    assert summary.rows == 4 and summary.volume == 4
    assert summary.cost == Decimal("300.00") and summary.cases == 2
    assert summary.cost_per_case == Decimal("150.00")  # not £75.00 over four rows
    # Spend counts the valid costs only.
    january_spend = feeds.cost_per_case_spend(PRACTICE, "2008/09")[JANUARY]
    demo_spend = sum(
        (
            Decimal(r.values["case_cost"] or "0")
            for ret in ProviderReturn.objects.filter(
                period=JANUARY, current=True, contract__template="physiotherapy"
            ).exclude(pk=stored.pk)
            for r in ret.rows.filter(gp_practice_code=PRACTICE)
        ),
        Decimal("0.00"),
    )
    ophthalmology = sum(
        (
            ret.contract.price_per_case * ret.rows.filter(gp_practice_code=PRACTICE).count()
            for ret in ProviderReturn.objects.filter(
                period=JANUARY, current=True, contract__template="tier2-ophthalmology"
            )
        ),
        Decimal("0.00"),
    )
    assert january_spend == demo_spend + ophthalmology + Decimal("300.00")


def test_totals_across_two_providers_pool_their_rows(demo: None) -> None:
    first = contract_for("physiotherapy", "NQ5")
    second = contract_for("physiotherapy", "NQ6")
    store(first, physio(["100.00", "100.00", "100.00"], dnas=["1", "0", "0"]))
    store(second, physio(["400.00", "bad"], dnas=["2", "1"]))
    (section,) = reports.locality_report([first, second])
    assert section.template.key == "physiotherapy"
    one, two = section.providers
    assert (one.volume, two.volume) == (3, 2) and section.total_volume == 5
    assert (one.cost_per_case, two.cost_per_case) == (Decimal("100.00"), Decimal("400.00"))
    # Pooled: £700 over 4 valid cases (not the mean of the providers' £100 and £400).
    assert section.cost_per_case == Decimal("175.00")
    # DNA: appointments not attended over booked (attendances 3 per row + DNAs), pooled.
    assert (one.dna.numerator, one.dna.denominator) == (1, 10)
    assert (two.dna.numerator, two.dna.denominator) == (3, 9)
    assert section.dna is not None
    assert (section.dna.numerator, section.dna.denominator) == (4, 19)
    assert section.dna.interval == proportion_ci(4, 19)
    # Only the chosen contracts: the demo's RWG physiotherapy is not in this report.
    assert {s.contract.provider.code for s in section.providers} == {"NQ5", "NQ6"}


# --- values beyond the header ------------------------------------------------------------------


def test_values_beyond_the_last_named_column_are_bad_cells(demo: None) -> None:
    contract = ProviderContract.objects.get(provider__code="NT4", template="tier2-ophthalmology")
    template = TEMPLATES["tier2-ophthalmology"]
    header = template.column_names  # 15 columns: A to O
    row = dict(OPHTH_BASE, appointment_date="2009-01-12", appointment_outcome="referred_on")
    line = ",".join(row.get(h, "") for h in header)
    data = ",".join(header) + "\n" + line + ",,oops\n" + line + ",\n" + line + ",,\n"
    result = checked(contract, data.encode())
    assert [(p.row, p.column, p.cell, p.value) for p in result.problems] == [
        (2, "(no heading, column Q)", "Q2", "oops")
    ]
    assert "no heading" in result.problems[0].reason and result.acceptable
    # In a claims file it stops the batch like any other bad cell.
    dacorum = Locality.objects.get(slug="dacorum")
    claims = read_table(
        b"gp_practice_code,service,units\nE82601,smoking-cessation,10,12\n", "c.csv"
    )
    check = check_claims(dacorum, JANUARY, claims)
    assert [(p.cell, p.blocking) for p in check.problems] == [("D2", True)]


# --- the web: accept a return with known problems ---------------------------------------------


@pytest.fixture
def nt4_client(demo: None) -> tuple[Client, ProviderContract]:
    contract = ProviderContract.objects.get(provider__code="NT4", template="tier2-ophthalmology")
    user = get_user_model().objects.create_user("nt4-web")
    Membership.objects.create(user=user, role="provider_user", provider=contract.provider)
    client = Client()
    client.force_login(user)
    return client, contract


def provider_user(client: Client) -> Any:
    """The user `client` is signed in as."""
    from django.contrib.auth import get_user

    return get_user(client)


def test_accept_with_known_problems_on_the_web(nt4_client: tuple[Client, ProviderContract]) -> None:
    client, contract = nt4_client
    template = TEMPLATES["tier2-ophthalmology"]
    rows = [dict(OPHTH_BASE, referral_date="2009-02-03") for _ in range(3)]
    rows[1]["nhs_number"] = "9434765918"  # bad check digit: a known problem
    data = csv_bytes(template.column_names, rows)
    url = "/services/returns/providers/NT4/upload/"
    upload = io.BytesIO(data)
    upload.name = "february.csv"
    response = client.post(url, {"contract": contract.pk, "month": "2009-02", "file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-row="3" data-column="nhs_number"' in page
    token = re.search(r'name="token" value="([0-9a-f]{64})"', page)
    assert (
        token is not None and kept(KEPT_RETURNS, token.group(1), provider_user(client)) is not None
    )
    assert not ProviderReturn.objects.filter(contract=contract, period=FEBRUARY).exists()
    confirm = {
        "token": token.group(1),
        "filename": "february.csv",
        "contract": str(contract.pk),
        "month": "2009-02",
    }
    # Without ticking "accept" and saying why: refused, the form says what is missing.
    response = client.post(url, confirm)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page and 'data-row="3"' in page
    assert not ProviderReturn.objects.filter(contract=contract, period=FEBRUARY).exists()
    # An unknown upload or another provider's contract: not found.
    assert client.post(url, dict(confirm, token="f" * 64)).status_code == 404
    other = ProviderContract.objects.exclude(provider__code="NT4").first()
    assert other is not None
    assert client.post(url, dict(confirm, contract=str(other.pk))).status_code == 404
    # Accepted with a note: the whole return is stored with its problem, the upload removed.
    note = "NHS number being corrected at source"
    response = client.post(url, dict(confirm, accept="on", note=note))
    assert response.status_code == 302
    stored = ProviderReturn.objects.get(contract=contract, period=FEBRUARY, current=True)
    assert response["Location"] == f"/services/returns/providers/NT4/?return={stored.pk}"
    assert stored.status == "accepted_with_problems" and stored.note == note
    assert stored.filename == "february.csv" and stored.row_count == 3
    assert stored.sha256 == token.group(1) and stored.submitted_by_name == "nt4-web"
    assert [(p["row"], p["column"]) for p in stored.problems] == [(3, "nhs_number")]
    assert stored.rows.get(row_number=3).values["nhs_number"] is None
    assert kept(KEPT_RETURNS, token.group(1), provider_user(client)) is None
    event = AuditEvent.objects.get(object_type="ProviderReturn", object_id=str(stored.pk))
    assert event.action == "import" and event.after["status"] == "accepted_with_problems"
    listing = client.get(response["Location"]).content.decode()
    assert "1 known problems" in listing and note in listing
