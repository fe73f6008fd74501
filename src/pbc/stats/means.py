"""The mean with its confidence interval (Student's t).

Reference: PHEindicatormethods ``phe_mean``: value = Σx / n, limits
``value ∓ |t⁻¹((1 − c)/2; n − 1)| × s / √n`` with ``s`` the sample standard deviation
(denominator n − 1). Pure.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import t as student_t

from pbc.stats.intervals import Interval, check_confidence


@dataclass(frozen=True)
class MeanInterval(Interval):
    """A mean with its limits, and what it was computed from."""

    total: float
    count: int
    standard_deviation: float


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> MeanInterval:
    """The mean of `values` with its Student's t interval (at least two values)."""
    confidence = check_confidence(confidence)
    if len(values) < 2:
        raise ValueError("a mean's interval needs at least two values")
    if any(math.isnan(v) for v in values):
        raise ValueError("values must not be missing")
    count = len(values)
    total = math.fsum(values)
    value = total / count
    sd = statistics.stdev(values)
    half = abs(float(student_t.ppf((1 - confidence) / 2, count - 1))) * sd / math.sqrt(count)
    return MeanInterval(
        value=value,
        lower=value - half,
        upper=value + half,
        total=total,
        count=count,
        standard_deviation=sd,
    )
