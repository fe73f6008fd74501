"""`pbc.bulk.insert_rows` stores exactly what `bulk_create` stores (money, dates, foreign keys,
defaults, JSON, timestamps), read back through the ORM, on a small hand-made case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import models

from pbc.bulk import insert_rows
from pbc.finance.models import SpendFact
from pbc.orgs.models import Practice, Provider
from pbc.population.models import RiskModel, RiskScore

pytestmark = pytest.mark.django_db


def stored(model: type[models.Model], ids: set[int], leave_out: tuple[str, ...] = ()) -> list[Any]:
    rows = model.objects.filter(pk__in=ids).order_by("pk").values()  # type: ignore[attr-defined]
    return [{k: v for k, v in r.items() if k not in ("id", *leave_out)} for r in rows]


def test_spend_facts_inserted_as_rows_equal_bulk_create() -> None:
    practice, provider = Practice.objects.order_by("code")[0], Provider.objects.order_by("code")[0]
    rows: list[dict[str, Any]] = [
        {
            "practice_id": practice.pk, "financial_year": "2008/09", "month": dt.date(2009, 1, 1),
            "line": "elective", "source": "activity", "charged": Decimal("1234.56"),
            "provider_id": provider.pk, "point_of_delivery": "EL",
            "treatment_function_code": "101", "activity": 3, "at_tariff": Decimal("1200.10"),
        },
        # Nullable foreign key and money, fields left to their defaults, a negative amount.
        {
            "practice_id": practice.pk, "financial_year": "2008/09", "month": dt.date(2008, 4, 1),
            "line": "prescribing", "source": "recovery", "charged": Decimal("-0.01"),
            "provider_id": None, "at_tariff": None, "estimated": True, "recurrent": False,
        },
    ]  # fmt: skip
    before = set(SpendFact.objects.values_list("pk", flat=True))
    SpendFact.objects.bulk_create(SpendFact(**r) for r in rows)
    by_orm = set(SpendFact.objects.values_list("pk", flat=True)) - before
    assert insert_rows(SpendFact, rows) == 2
    by_rows = set(SpendFact.objects.values_list("pk", flat=True)) - before - by_orm
    assert len(by_rows) == 2
    assert stored(SpendFact, by_rows) == stored(SpendFact, by_orm)
    assert stored(SpendFact, by_rows)[1]["point_of_delivery"] == ""  # the field's default


def test_risk_scores_inserted_as_rows_equal_bulk_create() -> None:
    model = RiskModel.objects.create(
        trained_at=dt.datetime(2009, 1, 1, tzinfo=dt.UTC), kind="test", train_year="2006/07",
        evaluation_year="2007/08", path="-",
    )  # fmt: skip
    rows = [
        {
            "model_id": model.pk, "nhs_number": f"999000000{i}", "gp_practice_code": "E82601",
            "rank": i + 1, "score": 0.1 + i / 3, "age": 70 + i, "sex": "F",
            "deprivation_quintile": 2, "emergency_admissions": i, "diabetes": bool(i),
            "factors": ["Age 71", "2 emergency admission(s) last year"][: i + 1],
        }
        for i in range(2)
    ]  # fmt: skip
    RiskScore.objects.bulk_create(RiskScore(**r) for r in rows)
    by_orm = set(RiskScore.objects.filter(model=model).values_list("pk", flat=True))
    other = RiskModel.objects.create(
        trained_at=model.trained_at, kind="test", train_year="2006/07",
        evaluation_year="2007/08", path="-",
    )  # fmt: skip
    insert_rows(RiskScore, [{**r, "model_id": other.pk} for r in rows])
    by_rows = set(RiskScore.objects.filter(model=other).values_list("pk", flat=True))
    assert stored(RiskScore, by_rows, ("model_id",)) == stored(RiskScore, by_orm, ("model_id",))
    assert RiskScore.objects.get(pk=min(by_rows)).factors == ["Age 71"]


def test_a_misnamed_field_is_refused() -> None:
    with pytest.raises(ValueError, match="practice"):
        insert_rows(SpendFact, [{"practice": 1}])


def test_timestamps_repeated_changed_and_missing_are_stored_as_given() -> None:
    """A run of rows stamped with one `now` object is converted once; a different or missing
    timestamp after it is converted afresh."""
    now = dt.datetime(2009, 1, 1, 12, 30, tzinfo=dt.UTC)
    later = dt.datetime(2009, 2, 1, 8, 0, tzinfo=dt.UTC)
    stamps = [(now, now), (now, None), (later, now), (now, later), (later, None)]
    rows = [
        {"trained_at": trained, "scored_at": scored, "kind": f"bulk-{i}", "train_year": "2006/07",
         "evaluation_year": "2007/08", "path": "-"}
        for i, (trained, scored) in enumerate(stamps)
    ]  # fmt: skip
    assert insert_rows(RiskModel, rows) == len(rows)
    got = RiskModel.objects.filter(kind__startswith="bulk-").order_by("kind")
    assert [(m.trained_at, m.scored_at) for m in got] == stamps
