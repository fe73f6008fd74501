"""Comparing two rates: the rate ratio with its confidence interval.

``rate_ratio(a, ta, b, tb)`` is ``(a/ta) / (b/tb)`` with limits
``exp(ln RR ± z·√(1/a + 1/b))`` (the log method for a ratio of two Poisson rates; Kirkwood &
Sterne, *Essential Medical Statistics*, 2nd ed., §23.2; also Rothman, Greenland & Lash,
*Modern Epidemiology*, 3rd ed., ch. 14). It is not defined when either count is zero (the log
method needs both), nor without person-time: then None.
"""

from __future__ import annotations

import math

from pbc.stats.intervals import Interval, z_score


def rate_ratio(
    a: float, time_a: float, b: float, time_b: float, confidence: float = 0.95
) -> Interval | None:
    """The ratio of rate a/time_a to rate b/time_b with its log-method limits; None when a
    count is zero or a time is not above zero."""
    if min(a, b) < 0 or min(time_a, time_b) < 0:
        raise ValueError("counts and times must be zero or more")
    if a == 0 or b == 0 or time_a == 0 or time_b == 0:
        return None
    ratio = (a / time_a) / (b / time_b)
    spread = z_score(confidence) * math.sqrt(1 / a + 1 / b)
    return Interval(ratio, ratio * math.exp(-spread), ratio * math.exp(spread))
