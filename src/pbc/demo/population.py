"""The demo's risk stratification: train and score on the demo warehouse (`pbc demo`)."""

from __future__ import annotations

from collections.abc import Callable

from pbc.population import risk
from pbc.population.models import RiskModel, RiskScore


def load(scale: str = "full", report: Callable[[str], None] = print) -> int:
    """Train the risk model on the demo warehouse and score its current population.

    `scale` is accepted for symmetry with the other demo loaders: the warehouse already holds
    that scale's data. Returns the number of people scored. Idempotent: when a model for the
    demo's years already has its scores, nothing is retrained (`pbc risk train` retrains).
    """
    existing = RiskModel.objects.filter(
        train_year=risk.TRAIN_YEAR, evaluation_year=risk.EVALUATION_YEAR
    ).first()
    if existing is not None and RiskScore.objects.filter(model=existing).exists():
        n = RiskScore.objects.filter(model=existing).count()
        report(f"risk model already trained and scored ({n:,} people)")
        return n
    row = risk.train()
    report(f"risk model trained ({row.kind}, {scale} scale)")
    n = risk.score(model=row)
    report(f"risk scores stored: {n:,} people")
    return n
