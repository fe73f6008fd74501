"""The demo's risk stratification: train and score on the demo warehouse (`pbc demo`)."""

from __future__ import annotations

from collections.abc import Callable

from pbc.population import risk


def load(scale: str = "full", report: Callable[[str], None] = print) -> int:
    """Train the risk model on the demo warehouse and score its current population.

    `scale` is accepted for symmetry with the other demo loaders: the warehouse already holds
    that scale's data. Returns the number of people scored. Each call trains a new model (the
    card keeps its date); the previous models' scores stay until their rows are deleted.
    """
    row = risk.train()
    report(f"risk model trained ({row.kind}, {scale} scale)")
    n = risk.score(model=row)
    report(f"risk scores stored: {n:,} people")
    return n
