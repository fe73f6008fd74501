"""Risk stratification against the warehouse and the app database: train, score, read.

- `train(...)`: builds the training year (outcome 2006/07) and the held-out year (2007/08)
  from the warehouse, fits and chooses the model (`pbc.analytics.population.risk_model`),
  saves it with joblib under `settings.DATA_DIR / "models"` and records a `RiskModel` row
  holding the model card figures. One transaction, one audit event.
- `score(...)`: scores everyone registered on the scoring date (default: the day after the
  last discharge in the warehouse, rounded up to a month start: 1 April 2009 on the demo) with
  the latest model, and replaces all stored scores atomically (one audit event): model cards
  are kept, only the latest scoring of the population is.
- The current model is the latest one with scores (`current_model()`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pbc import periods
from pbc.analytics.population import risk_features as rf
from pbc.analytics.population import risk_model as rm
from pbc.analytics.population import risk_run as rr
from pbc.analytics.population.cohort import CONDITIONS
from pbc.bulk import insert_rows
from pbc.orgs import audit
from pbc.population.models import RiskModel, RiskScore
from pbc.warehouse import engine as wh

TRAIN_YEAR = rr.TRAIN_YEAR
EVALUATION_YEAR = rr.EVALUATION_YEAR
BATCH = 5000
Progress = Callable[[str], None]


def build_dataset(con: Any, index_date: dt.date, data_dir: Any = None) -> pd.DataFrame:
    return rr.dataset(con, index_date, data_dir if data_dir is not None else settings.DATA_DIR)


def models_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def train(
    *,
    train_year: str = TRAIN_YEAR,
    evaluation_year: str = EVALUATION_YEAR,
    engine: str | None = None,
    user: Any = None,
    progress: Progress = lambda step: None,
) -> RiskModel:
    """Train on `train_year`, evaluate on `evaluation_year`, store the model and its card."""
    con = wh.connect(engine)
    result = rr.training(con, settings.DATA_DIR, train_year, evaluation_year, progress)
    return store_model(result, train_year, evaluation_year, user=user, progress=progress)


def store_model(
    result: rm.Training,
    train_year: str,
    evaluation_year: str,
    *,
    user: Any = None,
    progress: Progress = lambda step: None,
) -> RiskModel:
    """Save a trained model (joblib, under `models_dir()`) and record its card."""
    trained_at = timezone.now()
    path = models_dir() / f"risk-{trained_at:%Y%m%dT%H%M%S%f}.joblib"
    joblib.dump(result.model, path)
    card = result.summary()
    with transaction.atomic():
        row = RiskModel.objects.create(
            trained_at=trained_at,
            kind=result.chosen,
            train_year=train_year,
            evaluation_year=evaluation_year,
            path=str(path),
            features=list(rf.FEATURES),
            card=card,
        )
        audit.record(
            user,
            "create",
            row,
            after={"kind": row.kind, "path": row.path},
            detail=f"risk model trained on {train_year}, evaluated on {evaluation_year}",
        )
    progress(f"saved {path.name}")
    return row


def default_score_date(con: Any) -> dt.date:
    return rr.score_date(con, settings.DATA_DIR)


def load_model(row: RiskModel) -> Any:
    return joblib.load(row.path)


def score(
    *,
    model: RiskModel | None = None,
    on: dt.date | None = None,
    engine: str | None = None,
    user: Any = None,
    progress: Progress = lambda step: None,
) -> int:
    """Score the population registered on `on` with `model` (default the latest trained)."""
    row = model or RiskModel.objects.order_by("-trained_at", "-pk").first()
    if row is None:
        raise RuntimeError("no risk model has been trained: run `pbc risk train` first")
    con = wh.connect(engine)
    on = on or default_score_date(con)
    people = rr.scored(con, settings.DATA_DIR, load_model(row), on, progress)
    return store_scores(row, people, on, user=user, progress=progress)


def store_scores(
    row: RiskModel,
    people: pd.DataFrame,
    on: dt.date,
    *,
    user: Any = None,
    progress: Progress = lambda step: None,
) -> int:
    """Replace the stored scores with `people` (scored and ranked, `risk_run.scored`)."""
    rows = _score_rows(row.pk, people)
    with transaction.atomic():
        # Only the latest scoring is kept (lists are of the current population).
        RiskScore.objects.all().delete()
        for i in range(0, len(rows), BATCH):
            insert_rows(RiskScore, rows[i : i + BATCH])
            progress(f"stored {min(i + BATCH, len(rows)):,} of {len(rows):,}")
        row.scored_at = timezone.now()
        row.score_date = on
        row.save(update_fields=["scored_at", "score_date"])
        audit.record(
            user,
            "update",
            row,
            detail=f"risk scores for {len(rows):,} people registered on {on.isoformat()}",
        )
    return len(rows)


def _score_rows(model_id: int, people: pd.DataFrame) -> list[dict[str, Any]]:
    """`RiskScore` rows (field -> value) for scored, ranked people, built column by column."""
    columns: dict[str, list[Any]] = {
        "nhs_number": people["nhs_number"].tolist(),
        "gp_practice_code": people["gp_practice_code"].tolist(),
        "rank": people["rank"].astype("int64").tolist(),
        "score": people["score"].astype("float64").clip(0.0, 1.0).tolist(),
        "age": people["age"].astype("int64").tolist(),
        "sex": np.where(people["male"].astype("int64") != 0, "M", "F").tolist(),
        "deprivation_quintile": people["deprivation_quintile"].astype("int64").tolist(),
        "emergency_admissions": people["emergency_admissions"].astype("int64").tolist(),
        "factors": [list(f) for f in people["factors"]],
        **{c: people[c].astype(bool).tolist() for c in CONDITIONS},
    }
    names = ["model_id", *columns]
    return [
        dict(zip(names, (model_id, *values), strict=True))
        for values in zip(*columns.values(), strict=True)
    ]


def current_model() -> RiskModel | None:
    """The latest model that has scores (what the case-finding lists show)."""
    return RiskModel.objects.filter(scored_at__isnull=False).order_by("-trained_at", "-pk").first()


def latest_model() -> RiskModel | None:
    return RiskModel.objects.order_by("-trained_at", "-pk").first()


def pseudonymised_evaluation(
    outcome_year: str, *, engine: str | None = None, data_dir: Any = None
) -> dict[str, Any]:
    """The activity rule and baseline on a pseudonymised extract's hospital-user cohort
    (`risk_features.pseudonymised_dataset`, index date 1 April of `outcome_year`): aggregate
    figures only (no pseudonym leaves this function). docs/data.md "Risk and case finding on
    pseudonymised extracts"."""
    con = wh.connect(engine)
    t = rr.tables(con, data_dir if data_dir is not None else settings.DATA_DIR)
    index = periods.year_start(outcome_year)
    frame: pd.DataFrame = rf.pseudonymised_dataset(t["apc"], t["ae"], t["op"], index).to_pandas()
    y = frame["admitted"].to_numpy() if len(frame) else np.zeros(0)
    flag = rm.rule_flag(frame, y) if len(frame) else None
    both = len(frame) > 0 and 0 < int(y.sum()) < len(frame)
    auc = rm.metrics("baseline", y, rm.baseline_score(frame)).auc if both else None
    flagged = frame[frame["emergency_admissions"] >= 2] if len(frame) else frame
    by_practice = flagged.groupby(flagged["gp_practice_code"].fillna("(none)")).size()
    return {
        "outcome_year": outcome_year,
        "index_date": index.isoformat(),
        "cohort": int(len(frame)),
        "admitted": int(y.sum()),
        "rule_flagged": flag.people if flag else 0,
        "rule_ppv": None if flag is None or flag.people == 0 else flag.ppv,
        "rule_sensitivity": None if flag is None or not y.sum() else flag.sensitivity,
        "baseline_auc": auc,
        "flagged_by_practice": {str(k): int(v) for k, v in by_practice.items()},
    }
