"""Risk stratification end to end on the test-scale demo warehouse: train, choose, evaluate,
score, store; the must-show comparison with the rule baseline; the commands."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings

from pbc.demo import population as demo
from pbc.orgs.models import AuditEvent
from pbc.population import commands, risk
from pbc.population.models import RiskModel, RiskScore


@pytest.mark.django_db
def test_demo_load_trains_beats_baseline_and_scores() -> None:
    # The session's demo (pbc.demo.build) trained and scored once; loading again is a no-op.
    scored = demo.load("test", report=lambda step: None)
    model = RiskModel.objects.get()
    card = model.card
    chosen = card["evaluation"][model.kind]
    baseline = card["evaluation"]["baseline"]
    top1 = {
        k: next(t for t in m["top"] if t["fraction"] == 0.01) for k, m in card["evaluation"].items()
    }
    # The must-show: the model chosen on the validation split beats the rule on the held-out
    # year 2007/08, on AUC and on PPV in the top 1%.
    assert model.train_year == "2006/07" and model.evaluation_year == "2007/08"
    assert chosen["auc"] > baseline["auc"]
    assert top1[model.kind]["ppv"] > top1["baseline"]["ppv"]
    # The choice was made on the validation split, not on the held-out year.
    assert model.kind == max(card["validation_auc"], key=card["validation_auc"].get)
    assert set(card["evaluation"]) == {"gradient_boosting", "logistic_regression", "baseline"}
    assert len(card["calibration"]) == 10
    assert sum(b["people"] for b in card["calibration"]) == card["evaluation_rows"]
    # Stored: the model file under DATA_DIR/models and one score per person registered.
    assert Path(model.path).parent == Path(settings.DATA_DIR) / "models"
    assert Path(model.path).exists()
    assert scored == RiskScore.objects.filter(model=model).count() > 3000
    assert str(model.score_date) == "2009-04-01"
    top = RiskScore.objects.filter(model=model).order_by("-score").first()
    assert top is not None and top.rank == 1 and top.factors
    # Ranks are 1..n within each practice, by score.
    some = list(RiskScore.objects.filter(model=model, gp_practice_code=top.gp_practice_code))
    assert sorted(s.rank for s in some) == list(range(1, len(some) + 1))
    by_rank = sorted(some, key=lambda s: s.rank)
    assert all(a.score >= b.score for a, b in zip(by_rank, by_rank[1:], strict=False))
    assert AuditEvent.objects.filter(object_type="RiskModel", action="create").count() == 1
    assert AuditEvent.objects.filter(object_type="RiskModel", action="update").count() == 1


@pytest.mark.django_db
def test_commands_train_then_score() -> None:
    out, err = io.StringIO(), io.StringIO()
    RiskScore.objects.all().delete()
    RiskModel.objects.all().delete()
    assert commands.risk_score_command(stdout=out, stderr=err) == commands.EXIT_REFUSED
    assert "no risk model" in err.getvalue()
    out = io.StringIO()
    assert commands.risk_train_command(stdout=out, stderr=err, show_progress=True) == 0
    text = out.getvalue()
    assert "Trained on 2006/07" in text and "baseline" in text and "AUC" in text
    out = io.StringIO()
    assert commands.risk_score_command(stdout=out, stderr=err) == 0
    assert "people registered on 01 Apr 2009" in out.getvalue()
    assert risk.current_model() == RiskModel.objects.get()


@pytest.mark.django_db
def test_demo_scores_computed_beside_the_refresh_equal_scores_computed_here() -> None:
    # `pbc demo` trains and scores in a process of its own beside the refresh
    # (pbc.demo.population.start) and stores the result; the same computation in this process
    # gives the same model choice, the same people and the same scores and ranks.
    from pbc.analytics.population import risk_run

    here = risk_run.train_and_score(settings.DATA_DIR)
    model = RiskModel.objects.get()
    assert here.training.chosen == model.kind
    assert str(here.on) == str(model.score_date)
    stored = {
        s.nhs_number: (round(s.score, 9), s.rank) for s in RiskScore.objects.filter(model=model)
    }
    computed = {
        n: (round(min(max(float(score), 0.0), 1.0), 9), int(rank))
        for n, score, rank in zip(
            here.people["nhs_number"], here.people["score"], here.people["rank"], strict=True
        )
    }
    assert len(stored) > 3000
    assert computed == stored
