"""The plan tables' database constraints hold on their own, whatever the actions do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from pbc.orgs.models import Locality
from pbc.plans.models import (
    BusinessCase,
    FastTrackThreshold,
    Lead,
    MeasureLink,
    Milestone,
    MilestoneUpdate,
    Objective,
    Outcome,
    Plan,
)

CHECKSUM = "a" * 64


def plan_row(**overrides: object) -> Plan:
    fields: dict[str, object] = {
        "locality": Locality.objects.get(slug="dacorum"),
        "financial_year": "2010/11",
        "slug": "dacorum-2010-11",
        "title": "Test plan",
        "source_filename": "x.txt",
        "source_sha256": CHECKSUM,
        "content_sha256": CHECKSUM,
        "imported_at": timezone.now(),
    }
    fields.update(overrides)
    return Plan(**fields)


@pytest.mark.django_db
def test_one_plan_per_locality_and_year_with_a_well_formed_year_and_checksum() -> None:
    plan_row().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        plan_row(slug="other").save()  # same locality and year
    with pytest.raises(IntegrityError), transaction.atomic():
        plan_row(financial_year="2010-11", slug="bad-year").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        plan_row(financial_year="2011/12", slug="bad-sum", source_sha256="not a checksum").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        plan_row(financial_year="2012/13", slug="bad-status", status="lost").save()


@pytest.mark.django_db
def test_objective_and_milestone_numbers_are_unique_and_texts_not_empty() -> None:
    plan = Plan.objects.get(slug="dacorum-2008-09")
    first = plan.objectives.get(number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Objective.objects.create(plan=plan, section=first.section, number=1, title="Duplicate")
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.create(objective=first, number=1, text="Duplicate number")
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.create(objective=first, number=99, text="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(locality=plan.locality, name="DacCom")  # already a lead


@pytest.mark.django_db
def test_a_measure_link_has_one_subject_an_indicator_and_a_target() -> None:
    objective = Plan.objects.get(slug="dacorum-2008-09").objectives.get(number=1)
    outcome = Outcome.objects.create(objective=objective, number=50, text="x")
    milestone = objective.milestones.first()
    now = timezone.now()
    for fields in (
        {"indicator_id": "rtt-admitted-18-weeks", "target": ""},
        {"indicator_id": "", "target": "90%"},
        {"indicator_id": "rtt-admitted-18-weeks", "target": "90%", "milestone": milestone},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            MeasureLink.objects.create(outcome=outcome, linked_at=now, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureLink.objects.create(indicator_id="x", target="y", linked_at=now)
    MeasureLink.objects.create(
        outcome=outcome, indicator_id="rtt-admitted-18-weeks", target="90%", linked_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureLink.objects.create(
            outcome=outcome, indicator_id="rtt-admitted-18-weeks", target="95%", linked_at=now
        )


@pytest.mark.django_db
def test_updates_report_a_whole_month_with_a_known_status_and_one_row_per_version() -> None:
    milestone = Milestone.objects.filter(objective__plan__slug="dacorum-2008-09").first()
    assert milestone is not None

    def update(**overrides: object) -> MilestoneUpdate:
        fields: dict[str, object] = {
            "milestone": milestone,
            "month": dt.date(2008, 5, 1),
            "status": "green",
            "version": 1000,
            "recorded_by_name": "test",
            "recorded_at": timezone.now(),
        }
        fields.update(overrides)
        return MilestoneUpdate(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        update(month=dt.date(2008, 5, 14)).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        update(status="purple").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        update(version=0).save()
    update().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        update(status="red").save()  # same version again


@pytest.mark.django_db
def test_business_case_constraints() -> None:
    locality = Locality.objects.get(slug="dacorum")

    def case(ref: str, **overrides: object) -> BusinessCase:
        fields: dict[str, object] = {
            "locality": locality,
            "ref": ref,
            "service": "Test service",
            "annual_cost": Decimal("1000"),
            "population_covered": 100,
        }
        fields.update(overrides)
        return BusinessCase(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        case("negative", annual_cost=Decimal("-1")).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        case("nobody", population_covered=0).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        case("submitted-undated", status="submitted", route="full").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        case(
            "approved-undated", status="approved", route="full", submitted_on=dt.date(2008, 1, 1)
        ).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        case(
            "decided-first",
            status="approved",
            route="full",
            submitted_on=dt.date(2008, 2, 1),
            decided_on=dt.date(2008, 1, 1),
        ).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        case("realised-undated", realised_value=Decimal("5")).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        case("dacorum-epmhs").save()  # the demo's reference
    case("fine").save()


@pytest.mark.django_db
def test_fast_track_thresholds_are_positive_and_one_per_date() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        FastTrackThreshold.objects.create(
            valid_from=dt.date(2010, 1, 1),
            max_annual_cost=Decimal("0"),
            max_cost_per_patient=Decimal("0.5"),
        )
    existing = FastTrackThreshold.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        FastTrackThreshold.objects.create(
            valid_from=existing.valid_from,
            max_annual_cost=Decimal("1"),
            max_cost_per_patient=Decimal("1"),
        )
