"""The demo's risk stratification: train and score on the demo warehouse (`pbc demo`).

Training and scoring read only the warehouse, so `pbc demo` starts them in a process of their
own as soon as the warehouse is imported (`start`) and they run beside the refresh steps; the
risk step then stores what that process computed (`load`). Only this process writes the app
database. On Spark, or when the scores are already stored, nothing is started early and `load`
does the work itself.

The demo's community matron caseload (`caseload`): a Dacorum practice's matron takes the four
patients at the top of its case-finding list onto her caseload on 14 July 2008 (the Dacorum
plan's case management of people at high risk of emergency admission), and discharges one on
2 February 2009, stable and self-managing. Taken on and discharged through the real actions,
as the PCT's analyst, so the audit log holds them. Its practice is Dacorum's third (the tests
take patients on at the first two).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections.abc import Callable
from multiprocessing.pool import AsyncResult, Pool

from django.conf import settings

from pbc.analytics.population import risk_run
from pbc.population import risk
from pbc.population.models import RiskModel, RiskScore
from pbc.warehouse import engine as wh

_background: tuple[Pool, AsyncResult[risk_run.TrainedAndScored]] | None = None


def _stored() -> int | None:
    """How many people the demo's model has scores for (None: not trained and scored yet)."""
    existing = RiskModel.objects.filter(
        train_year=risk.TRAIN_YEAR, evaluation_year=risk.EVALUATION_YEAR
    ).first()
    if existing is None or not RiskScore.objects.filter(model=existing).exists():
        return None
    return RiskScore.objects.filter(model=existing).count()


def start() -> bool:
    """Start training and scoring in a separate process (DuckDB only, and only when the scores
    are not stored yet). Returns whether it started."""
    global _background
    if _background is not None or wh.engine_name() != "duckdb" or _stored() is not None:
        return False
    pool = multiprocessing.get_context("spawn").Pool(1)
    future = pool.apply_async(
        risk_run.train_and_score,
        (str(settings.DATA_DIR), "duckdb", risk.TRAIN_YEAR, risk.EVALUATION_YEAR),
    )
    _background = (pool, future)
    return True


def cancel() -> None:
    """Stop a started computation that will not be used (a build that failed before its end)."""
    global _background
    if _background is not None:
        pool, _ = _background
        _background = None
        pool.terminate()
        pool.join()


def _take() -> risk_run.TrainedAndScored | None:
    global _background
    if _background is None:
        return None
    pool, future = _background
    _background = None
    try:
        return future.get()
    finally:
        pool.close()
        pool.join()


def load(scale: str = "full", report: Callable[[str], None] = print) -> int:
    """Train the risk model on the demo warehouse and score its current population.

    `scale` is accepted for symmetry with the other demo loaders: the warehouse already holds
    that scale's data. Returns the number of people scored. Idempotent: when a model for the
    demo's years already has its scores, nothing is retrained (`pbc risk train` retrains).
    """
    computed = _take()
    n = _stored()
    if n is not None:
        report(f"risk model already trained and scored ({n:,} people)")
        caseload(report)
        return n
    if computed is None:
        row = risk.train()
        report(f"risk model trained ({row.kind}, {scale} scale)")
        n = risk.score(model=row)
    else:
        row = risk.store_model(computed.training, risk.TRAIN_YEAR, risk.EVALUATION_YEAR)
        report(f"risk model trained ({row.kind}, {scale} scale; beside the refresh)")
        n = risk.store_scores(row, computed.people, computed.on)
    report(f"risk scores stored: {n:,} people")
    caseload(report)
    return n


CASELOAD_MATRON = "Sue Hart (community matron, Dacorum)"
CASELOAD_TAKEN_ON = dt.date(2008, 7, 14)
CASELOAD_DISCHARGED_ON = dt.date(2009, 2, 2)


def caseload(report: Callable[[str], None] = print) -> int:
    """The demo caseload (idempotent: nothing when the practice has one). Returns its size."""
    from django.contrib.auth import get_user_model

    from pbc.orgs.models import Practice
    from pbc.population import caseload as cl
    from pbc.population.models import CaseloadEntry
    from pbc.synth import geography

    analyst = get_user_model().objects.filter(username="analyst").first()
    dacorum = geography.locality("dacorum").practices
    practice = Practice.objects.filter(code=dacorum[2].code).first() if len(dacorum) > 2 else None
    model = risk.current_model()
    if analyst is None or practice is None or model is None:
        return 0
    if CaseloadEntry.objects.filter(practice=practice).exists():
        return CaseloadEntry.objects.filter(practice=practice).count()
    top = list(
        RiskScore.objects.filter(model=model, gp_practice_code=practice.code)
        .order_by("rank")
        .values_list("nhs_number", flat=True)[:4]
    )
    if not top:
        return 0
    entries = cl.take_on(analyst, practice, top, matron=CASELOAD_MATRON, taken_on=CASELOAD_TAKEN_ON)
    cl.discharge(analyst, entries[-1], on=CASELOAD_DISCHARGED_ON, reason="stable")
    report(f"community matron caseload: {len(entries)} patients at {practice.code}, one discharged")
    return len(entries)
