"""Community matron caseloads on the test-scale demo: taking patients on from the case-finding
list (scoped, audited, refused with a message), the before/after comparison against a plain
recomputation from the warehouse's Parquet files, and the matrons' return linked by NHS
number."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from pbc.analytics.population import caseload as cl
from pbc.orgs.models import AuditEvent, Locality, Practice, Provider
from pbc.population import caseload, risk
from pbc.population.models import CaseloadEntry, RiskScore
from pbc.services import actions
from pbc.services.models import ProviderContract
from pbc.services.return_templates import TEMPLATES
from pbc.services.tabular import read_table
from pbc.services.validation import validate
from pbc.synth import geography
from pbc.warehouse import store
from services.return_files import csv_bytes

pytestmark = pytest.mark.django_db

DACORUM = geography.locality("dacorum")
PRACTICE_A = DACORUM.practices[0].code  # the "practice" demo user's
PRACTICE_B = DACORUM.practices[1].code  # "practice2"'s
EMERGENCY = {"21", "22", "23", "24", "28", "2A", "2B", "2C", "2D"}
TAKEN_ON = (dt.date(2008, 4, 1), dt.date(2008, 7, 14), dt.date(2007, 10, 1))


def _user(username: str):  # type: ignore[no-untyped-def]
    return get_user_model().objects.get(username=username)


def _client(username: str) -> Client:
    client = Client()
    client.force_login(_user(username))
    return client


def _top(code: str, n: int) -> list[RiskScore]:
    return list(
        RiskScore.objects.filter(model=risk.current_model(), gp_practice_code=code).order_by(
            "rank"
        )[:n]
    )


def plain_counts(nhs: str, taken_on: dt.date, spells: dict[str, list[tuple[dt.date, int]]]):  # type: ignore[no-untyped-def]
    """(admissions before, bed days before, admissions after, bed days after), by hand."""
    start, end = cl.shift_year(taken_on, -1), cl.shift_year(taken_on, 1)
    before = [los for day, los in spells.get(nhs, []) if start <= day < taken_on]
    after = [los for day, los in spells.get(nhs, []) if taken_on <= day < end]
    return len(before), sum(before), len(after), sum(after)


def emergency_spells() -> dict[str, list[tuple[dt.date, int]]]:
    """Every emergency spell of the warehouse's apc files, read with pyarrow, by NHS number."""
    out: dict[str, list[tuple[dt.date, int]]] = defaultdict(list)
    for path in store.live_files("apc", settings.DATA_DIR):
        for r in pq.read_table(
            path, columns=["nhs_number", "admission_method", "admission_date", "length_of_stay"]
        ).to_pylist():
            if r["nhs_number"] and r["admission_method"] in EMERGENCY:
                out[r["nhs_number"]].append((r["admission_date"], r["length_of_stay"] or 0))
    return out


def test_before_and_after_equal_a_plain_recomputation_on_the_test_warehouse() -> None:
    practice = Practice.objects.get(code=PRACTICE_A)
    top = _top(PRACTICE_A, 3)
    for score, day in zip(top, TAKEN_ON, strict=True):
        caseload.take_on(
            _user("analyst"), practice, [score.nhs_number], matron="Jo Bloggs", taken_on=day
        )
    got = caseload.report(practice)
    spells = emergency_spells()
    dates = {s.nhs_number: d for s, d in zip(top, TAKEN_ON, strict=True)}
    rows = {r.entry.nhs_number: r for r in got.rows}
    assert set(rows) == set(dates)
    for nhs, day in dates.items():
        r = rows[nhs]
        mine = (r.before_admissions, r.before_bed_days, r.after_admissions, r.after_bed_days)
        assert mine == plain_counts(nhs, day, spells), nhs
    assert sum(r.before_admissions for r in rows.values()) > 0  # the top of the list was admitted
    # The comparison group: each case's nearest-risk person of the locality, followed over the
    # case's own dates, recomputed by hand from the same files.
    # (less the demo's own caseload, at another Dacorum practice: no one on a caseload is a
    # comparison)
    demo_caseload = set(
        CaseloadEntry.objects.exclude(practice=practice).values_list("nhs_number", flat=True)
    )
    pool = [
        (s.nhs_number, s.score)
        for s in RiskScore.objects.filter(
            model=risk.current_model(),
            gp_practice_code__in=[p.code for p in DACORUM.practices],
        )
        if s.nhs_number not in demo_caseload
    ]
    matches = cl.match_on_risk([(s.nhs_number, s.score) for s in top], pool)
    assert all(m is not None and m not in dates for m in matches.values())
    plain = [plain_counts(m, dates[case], spells) for case, m in matches.items() if m]
    c = got.comparison
    assert c is not None and c.unmatched == 0 and c.comparison.people == 3
    assert (
        c.comparison.before_admissions,
        c.comparison.before_bed_days,
        c.comparison.after_admissions,
        c.comparison.after_bed_days,
    ) == tuple(sum(p[i] for p in plain) for i in range(4))
    assert c.caseload.before_admissions == sum(r.before_admissions for r in rows.values())
    # The demo's data end in March 2009: a year from 14 July 2008 is partly observed.
    end = got.data_end
    assert end is not None and dt.date(2009, 3, 1) <= end <= dt.date(2009, 3, 31)
    assert rows[top[1].nhs_number].observed_days == (end - TAKEN_ON[1]).days + 1 < 365


def test_matrons_return_contacts_are_linked_to_the_caseload() -> None:
    practice = Practice.objects.get(code=PRACTICE_A)
    a, b, c = _top(PRACTICE_A, 3)
    caseload.take_on(
        _user("analyst"), practice, [a.nhs_number, b.nhs_number], matron="Jo Bloggs",
        taken_on=dt.date(2008, 12, 1),
    )  # fmt: skip
    provider, _ = Provider.objects.get_or_create(
        code="NQ2", defaults={"name": "Community matrons", "kind": "community"}
    )
    contract = ProviderContract.objects.create(
        provider=provider, locality=Locality.objects.get(slug="dacorum"),
        template="community-matrons", price_per_case=Decimal("0"),
    )  # fmt: skip
    template = TEMPLATES["community-matrons"]
    base = {"gp_practice_code": PRACTICE_A, "care_plan_agreed": "Y"}
    rows = [
        dict(base, nhs_number=a.nhs_number, referral_date="2009-01-09",
             first_contact_date="2009-01-12"),  # Friday -> Monday: met
        dict(base, nhs_number=b.nhs_number, referral_date="2009-01-09",
             first_contact_date="2009-01-13"),  # Friday -> Tuesday: late
        dict(base, nhs_number=c.nhs_number, referral_date="2009-01-05",
             first_contact_date="2009-01-05"),  # not on the caseload
    ]  # fmt: skip
    practices = frozenset(contract.locality.practices.values_list("code", flat=True))
    table = read_table(csv_bytes(template.column_names, rows), "r.csv")
    result = validate(template, table, dt.date(2009, 1, 1), practices, "Dacorum")
    assert not result.problems
    actions.submit_return(
        None, contract, result, filename="m.csv", sha256="b" * 64,
        accept_with_problems=False, note="",
    )  # fmt: skip
    got = caseload.report(practice)
    assert (got.contacts_met, got.contacts_applicable) == (1, 2)
    linked = {r.entry.nhs_number: r.contacts for r in got.rows}
    assert [k.within_one_working_day for k in linked[a.nhs_number]] == [True]
    assert [k.within_one_working_day for k in linked[b.nhs_number]] == [False]


def test_take_on_is_scoped_audited_and_refused_with_a_message() -> None:
    a, b = _top(PRACTICE_A, 2)
    other = _top(PRACTICE_B, 1)[0]
    url = f"/population/practices/{PRACTICE_A}/caseload/"
    form = {"nhs_number": [a.nhs_number], "matron": "Jo Bloggs", "taken_on": "2008-04-01"}
    # Another practice's user may neither take on nor see this practice's caseload.
    assert _client("practice2").post(url, form).status_code == 403
    assert _client("practice2").get(url).status_code == 403
    assert AuditEvent.objects.filter(username="practice2", action="denied", path=url).count() == 2
    assert not CaseloadEntry.objects.filter(practice__code=PRACTICE_A).exists()
    analyst = _client("analyst")
    # A patient of another practice's list is refused, naming the number.
    response = analyst.post(url, dict(form, nhs_number=[other.nhs_number]), follow=True)
    assert f"{other.nhs_number} not on {PRACTICE_A}" in response.content.decode()
    response = analyst.post(url, dict(form, matron=" "), follow=True)
    assert "give the community matron" in response.content.decode()
    assert not CaseloadEntry.objects.filter(practice__code=PRACTICE_A).exists()
    response = analyst.post(url, dict(form, nhs_number=[a.nhs_number, b.nhs_number]))
    assert response.status_code == 302 and response["Location"] == url
    entries = list(CaseloadEntry.objects.filter(practice__code=PRACTICE_A).order_by("risk_rank"))
    assert [(e.nhs_number, e.matron, str(e.taken_on), e.recorded_by) for e in entries] == [
        (a.nhs_number, "Jo Bloggs", "2008-04-01", "analyst"),
        (b.nhs_number, "Jo Bloggs", "2008-04-01", "analyst"),
    ]
    created = AuditEvent.objects.filter(
        action="create", object_type="CaseloadEntry", after__practice=PRACTICE_A
    )
    assert sorted(e.after["nhs_number"] for e in created) == sorted([a.nhs_number, b.nhs_number])
    response = analyst.post(url, form, follow=True)  # again: already on it
    assert "already on the caseload" in response.content.decode()
    # The analyst and the practice's own user see them; each view is audited.
    assert analyst.get(url).status_code == 200
    html = _client("practice").get(url).content.decode()
    assert a.nhs_number in html and b.nhs_number in html
    views = AuditEvent.objects.filter(action="view_patient_rows", path=url)
    assert [e.username for e in views.order_by("pk")] == ["analyst", "practice"]
    assert "2 patients" in views.last().detail  # type: ignore[union-attr]


def test_the_demo_caseload_and_a_discharge_scoped_audited_and_refused_by_field() -> None:
    """The demo: four patients at the top of a Dacorum practice's list taken on 14 July 2008,
    one discharged on 2 February 2009. A discharge through the page: another practice's user
    is refused; a date before taken on, a bad reason, a second discharge are refused by field."""
    code = DACORUM.practices[2].code
    practice = Practice.objects.get(code=code)
    top = _top(code, 4)
    demo = list(CaseloadEntry.objects.filter(practice=practice).order_by("risk_rank"))
    assert [(e.nhs_number, e.taken_on) for e in demo] == [
        (s.nhs_number, dt.date(2008, 7, 14)) for s in top
    ]
    assert [(e.discharged_on, e.discharge_reason) for e in demo] == [(None, "")] * 3 + [
        (dt.date(2009, 2, 2), "stable")
    ]
    demo_events = AuditEvent.objects.filter(
        object_type="CaseloadEntry", object_id__in=[str(e.pk) for e in demo]
    )
    assert sorted(demo_events.values_list("action", flat=True)) == ["create"] * 4 + ["update"]

    entry = demo[0]
    url = f"/population/practices/{code}/caseload/"
    form = {"action": "discharge", "entry": entry.pk, "discharged_on": "2009-01-05",
            "reason": "long_term_care"}  # fmt: skip
    assert _client("practice2").post(url, form).status_code == 403
    analyst = _client("analyst")
    for bad, message in (
        ({"discharged_on": "2008-07-13"}, "is before"),
        ({"reason": "bored"}, "is not one of the discharge reasons"),
        ({"discharged_on": "5 Jan"}, "give the date as YYYY-MM-DD"),
        ({"entry": demo[-1].pk}, "was discharged on 02 Feb 2009"),
    ):
        html = analyst.post(url, {**form, **bad}, follow=True).content.decode()
        assert message in html, message
    entry.refresh_from_db()
    assert entry.discharged_on is None
    other = CaseloadEntry.objects.exclude(practice=practice).first()
    if other is not None:  # another practice's entry is not found through this practice
        assert analyst.post(url, {**form, "entry": other.pk}).status_code == 404
    assert analyst.post(url, form).status_code == 302
    entry.refresh_from_db()
    assert (entry.discharged_on, entry.discharge_reason, entry.discharged_by) == (
        dt.date(2009, 1, 5), "long_term_care", "analyst",
    )  # fmt: skip
    event = AuditEvent.objects.filter(object_type="CaseloadEntry", object_id=str(entry.pk)).latest(
        "pk"
    )
    assert (event.action, event.username, event.after["discharged_on"]) == (
        "update", "analyst", "2009-01-05",
    )  # fmt: skip
    html = analyst.get(url).content.decode()
    assert (
        'data-discharged="2009-01-05"' in html and "2 of 4 patients still on the caseload" in html
    )


def test_the_caseload_csv_is_the_page_through_the_safe_writer_scoped_and_audited() -> None:
    """The demo caseload (Dacorum's third practice) as CSV: one row per patient with the
    page's figures, a hostile matron name neutralised by pbc.exports, the download audited as
    patient rows; another practice's user is refused and the refusal audited."""
    import csv
    import io

    code = DACORUM.practices[2].code
    practice = Practice.objects.get(code=code)
    first = CaseloadEntry.objects.filter(practice=practice).order_by("risk_rank").first()
    assert first is not None
    CaseloadEntry.objects.filter(pk=first.pk).update(matron="=HYPERLINK(1)")
    url = f"/population/practices/{code}/caseload/?format=csv"
    response = _client("analyst").get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    report = caseload.report(practice)
    assert [r["nhs_number"] for r in rows] == [p.entry.nhs_number for p in report.rows]
    assert [(r["emergency_admissions_year_before"], r["bed_days_year_after"]) for r in rows] == [
        (str(p.before_admissions), str(p.after_bed_days)) for p in report.rows
    ]
    by_nhs = {r["nhs_number"]: r for r in rows}
    assert by_nhs[first.nhs_number]["matron"] == "'=HYPERLINK(1)"
    assert sorted(r["discharged_on"] for r in rows) == ["", "", "", "2009-02-02"]
    event = AuditEvent.objects.filter(action="view_patient_rows", username="analyst").latest("pk")
    assert "caseload CSV export: 4 patients" in event.detail and event.path == url
    assert _client("practice").get(url).status_code == 403
    assert AuditEvent.objects.filter(action="denied", username="practice").exists()
