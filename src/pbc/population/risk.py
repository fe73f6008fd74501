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
from pbc.analytics.population.cohort import CONDITIONS
from pbc.bulk import insert_rows
from pbc.orgs import audit
from pbc.population.models import RiskModel, RiskScore
from pbc.warehouse import engine as wh

TRAIN_YEAR = "2006/07"
EVALUATION_YEAR = "2007/08"
BATCH = 5000
Progress = Callable[[str], None]


def _tables(con: Any, data_dir: Any) -> dict[str, Any]:
    return {n: wh.table(con, n, data_dir=data_dir) for n in ("patients", "apc", "ae", "op")}


def build_dataset(con: Any, index_date: dt.date, data_dir: Any = None) -> pd.DataFrame:
    t = _tables(con, data_dir if data_dir is not None else settings.DATA_DIR)
    frame: pd.DataFrame = rf.dataset(
        t["patients"], t["apc"], t["ae"], t["op"], index_date
    ).to_pandas()
    return frame


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
    train_df = build_dataset(con, periods.year_start(train_year))
    progress(f"training year {train_year}: {len(train_df):,} people")
    eval_df = build_dataset(con, periods.year_start(evaluation_year))
    progress(f"held-out year {evaluation_year}: {len(eval_df):,} people")
    result = rm.train(train_df, eval_df, progress=progress)
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
    apc = wh.table(con, "apc", data_dir=settings.DATA_DIR)
    last = apc.discharge_date.max().execute()
    if last is None or pd.isna(last):
        raise RuntimeError("the warehouse holds no admitted patient care: import apc first")
    last = pd.Timestamp(last).date()
    nxt = last + dt.timedelta(days=1)
    return nxt if nxt.day == 1 else periods.add_months(nxt, 1)


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
    t = _tables(con, settings.DATA_DIR)
    people: pd.DataFrame = rf.features(t["patients"], t["apc"], t["ae"], t["op"], on).to_pandas()
    progress(f"{len(people):,} people registered on {on:%d %b %Y}")
    fitted = load_model(row)
    people["score"] = rm.predict(fitted, people)
    people["factors"] = rm.main_factors(fitted, people, base=people["score"].to_numpy())
    progress("scored and explained")
    people = people.sort_values(
        ["gp_practice_code", "score", "nhs_number"], ascending=[True, False, True]
    )
    people["rank"] = people.groupby("gp_practice_code").cumcount() + 1
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
    t = _tables(con, data_dir if data_dir is not None else settings.DATA_DIR)
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
