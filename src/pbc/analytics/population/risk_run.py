"""Risk stratification over the warehouse, without the app database: the training and the
scoring that `pbc.population.risk` stores. Plain functions of a connection and a data
directory, so that `pbc demo` can run them in a process of their own beside the refresh
(`train_and_score`) while the app database is written by one process only.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pbc import periods
from pbc.analytics.population import risk_features as rf
from pbc.analytics.population import risk_model as rm
from pbc.warehouse import engine as wh

TRAIN_YEAR = "2006/07"
EVALUATION_YEAR = "2007/08"
Progress = Callable[[str], None]
DataDir = str | os.PathLike[str]


def tables(con: Any, data_dir: DataDir) -> dict[str, Any]:
    return {n: wh.table(con, n, data_dir=data_dir) for n in ("patients", "apc", "ae", "op")}


def dataset(con: Any, index_date: dt.date, data_dir: DataDir) -> pd.DataFrame:
    """Features and outcome of everyone registered on `index_date` (`risk_features.dataset`)."""
    t = tables(con, data_dir)
    frame: pd.DataFrame = rf.dataset(
        t["patients"], t["apc"], t["ae"], t["op"], index_date
    ).to_pandas()
    return frame


def training(
    con: Any,
    data_dir: DataDir,
    train_year: str = TRAIN_YEAR,
    evaluation_year: str = EVALUATION_YEAR,
    progress: Progress = lambda step: None,
) -> rm.Training:
    """Train on `train_year`, evaluate on `evaluation_year` (`risk_model.train`)."""
    train_df = dataset(con, periods.year_start(train_year), data_dir)
    progress(f"training year {train_year}: {len(train_df):,} people")
    eval_df = dataset(con, periods.year_start(evaluation_year), data_dir)
    progress(f"held-out year {evaluation_year}: {len(eval_df):,} people")
    return rm.train(train_df, eval_df, progress=progress)


def score_date(con: Any, data_dir: DataDir) -> dt.date:
    """The day after the last discharge in the warehouse, rounded up to a month start."""
    apc = wh.table(con, "apc", data_dir=data_dir)
    last = apc.discharge_date.max().execute()
    if last is None or pd.isna(last):
        raise RuntimeError("the warehouse holds no admitted patient care: import apc first")
    nxt = pd.Timestamp(last).date() + dt.timedelta(days=1)
    return nxt if nxt.day == 1 else periods.add_months(nxt, 1)


def scored(
    con: Any,
    data_dir: DataDir,
    fitted: Any,
    on: dt.date,
    progress: Progress = lambda step: None,
) -> pd.DataFrame:
    """Everyone registered on `on` with their features, score, main factors and rank within
    their practice (highest score first)."""
    t = tables(con, data_dir)
    people: pd.DataFrame = rf.features(t["patients"], t["apc"], t["ae"], t["op"], on).to_pandas()
    progress(f"{len(people):,} people registered on {on:%d %b %Y}")
    people["score"] = rm.predict(fitted, people)
    people["factors"] = rm.main_factors(fitted, people, base=people["score"].to_numpy())
    progress("scored and explained")
    people = people.sort_values(
        ["gp_practice_code", "score", "nhs_number"], ascending=[True, False, True]
    )
    people["rank"] = people.groupby("gp_practice_code").cumcount() + 1
    return people


@dataclass
class TrainedAndScored:
    training: rm.Training
    on: dt.date
    people: pd.DataFrame


def train_and_score(
    data_dir: DataDir,
    engine: str | None = None,
    train_year: str = TRAIN_YEAR,
    evaluation_year: str = EVALUATION_YEAR,
) -> TrainedAndScored:
    """Train a model and score the population with it (what `pbc demo` stores as its risk
    scores), in one call that needs nothing but the warehouse."""
    con = wh.connect(engine)
    result = training(con, data_dir, train_year, evaluation_year)
    on = score_date(con, data_dir)
    return TrainedAndScored(result, on, scored(con, data_dir, result.model, on))
