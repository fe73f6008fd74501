"""XmR statistical process control charts, NHS England "Making Data Count" rules.

Reference implementation: NHSRplotthedots (NHS-R Community, 0.2.x), functions
``ptd_spc_standard``, ``ptd_calculate_point_type``, ``ptd_calculate_assurance_type``,
``ptd_add_short_group_warnings`` and the icon choice in ``geom_ptd_icon``.

For each segment (the series is split at every ``rebase_at`` position), using only its
first ``fix_after_n_points`` values when that is set:

* ``mean`` = mean of the values; moving ranges ``MRᵢ = |yᵢ − yᵢ₋₁|``;
* when ``screen_outliers``, moving ranges ≥ 3.267 × mean MR are dropped and the mean
  MR recomputed (3.267 = D4 for n = 2);
* process limits ``mean ± 2.66 × mean MR`` (2.66 = 3/d2, d2 = 1.128), and the
  "near the limits" band beyond ``mean ± (2/3)·2.66 × mean MR`` (2σ).

Special cause rules, in the package's order of precedence, within each segment:

1. "outside limits": a point above the upper or below the lower process limit;
2. "trend": ``trend_length`` (7) points each strictly above (or below) the one before;
3. "two of three": 2 of 3 consecutive points beyond 2σ on the same side of the mean,
   the flagged points being those beyond 2σ. The package ("legacy") counts only points
   between 2σ and 3σ; ``two_of_three="2023"`` follows the November 2023 Making Data Count
   update, where points beyond 3σ also count;
4. "shift": ``run_length`` (7) points in a row on the same side of the mean.

The variation icon comes from the type of the last point; the assurance icon compares
the target with the last segment's limits. Segments shorter than ``minimum_points`` (12)
are flagged as short, as the package warns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Improvement = Literal["increase", "decrease", "neutral"]
TwoOfThree = Literal["2023", "legacy"]
SpecialCause = Literal["outside limits", "trend", "two of three", "shift"]
PointType = Literal["improvement", "concern", "neutral", "common cause"]
Assurance = Literal["pass", "fail", "inconsistent"]

#: XmR scaling constants (Wheeler; Making Data Count).
LIMIT_CONSTANT = 2.66
MOVING_RANGE_SCREEN = 3.267


@dataclass(frozen=True)
class SpcPoint:
    """One observation with its segment's limits and the rule it triggers."""

    index: int
    value: float
    segment: int
    special_cause: SpecialCause | None
    point_type: PointType


@dataclass(frozen=True)
class XmrChart:
    """An XmR chart: limits per segment, classified points and the two icons.

    ``variation_icon`` is one of "common cause", "improvement high", "improvement low",
    "concern high", "concern low", "neutral high" or "neutral low".
    """

    mean: tuple[float, ...]
    lower_limit: tuple[float, ...]
    upper_limit: tuple[float, ...]
    segment_starts: tuple[int, ...]
    short_segments: tuple[bool, ...]
    points: tuple[SpcPoint, ...]
    variation_icon: str
    assurance: Assurance | None


def _segment_limits(
    values: Sequence[float], screen_outliers: bool, fix_after_n_points: int | None
) -> tuple[float, float]:
    """Return (mean, mean moving range) for one segment."""
    fixed = list(values if fix_after_n_points is None else values[:fix_after_n_points])
    mean = math.fsum(fixed) / len(fixed)
    ranges = [abs(b - a) for a, b in zip(fixed, fixed[1:], strict=False)]
    if not ranges:
        return mean, math.nan
    mean_range = math.fsum(ranges) / len(ranges)
    if screen_outliers:
        kept = [r for r in ranges if r < MOVING_RANGE_SCREEN * mean_range]
        mean_range = math.fsum(kept) / len(kept) if kept else math.nan
    return mean, mean_range


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _runs_ending(flags: Sequence[int], length: int) -> list[int]:
    """``flags[i]`` if the last ``length`` flags up to i are equal and non-zero, else 0."""
    out = []
    for i, flag in enumerate(flags):
        start = i - length + 1
        if flag != 0 and start >= 0 and all(f == flag for f in flags[start : i + 1]):
            out.append(flag)
        else:
            out.append(0)
    return out


def _part_of_run(ends: Sequence[int], length: int) -> list[bool]:
    """True where a run of ``length`` ending at or after the point covers it."""
    return [any(ends[i : i + length]) for i in range(len(ends))]


def _trend_flags(values: Sequence[float], trend_length: int) -> list[int]:
    """+1/−1 at the last point of ``trend_length`` strictly increasing/decreasing points."""
    if not values:
        return []
    steps = [0] + [_sign(b - a) for a, b in zip(values, values[1:], strict=False)]
    # a run of `trend_length` points has trend_length − 1 equal steps ending at i
    ends = _runs_ending(steps, trend_length - 1)
    return [end if i >= trend_length - 1 else 0 for i, end in enumerate(ends)]


def _two_of_three(close: Sequence[bool], side: Sequence[int]) -> list[bool]:
    """NHSRplotthedots ``ptd_two_in_three`` then ``ptd_part_of_two_in_three``."""
    n = len(close)
    padded_close = [0, 0, *[int(c) for c in close], 0, 0]
    padded_side = [0, 0, *side, 0, 0]
    flagged = []
    for i in range(n):
        in_window = any(
            sum(padded_close[i + k : i + k + 3]) >= 2
            and abs(sum(padded_side[i + k : i + k + 3])) == 3
            for k in range(3)
        )
        flagged.append(in_window and close[i])
    return flagged


def _classify_segment(
    values: Sequence[float],
    mean: float,
    mean_range: float,
    run_length: int,
    trend_length: int,
    two_of_three: TwoOfThree,
) -> list[tuple[SpecialCause | None, int]]:
    """(special cause, direction ±1 or 0) for each point of one segment."""
    upper = mean + LIMIT_CONSTANT * mean_range
    lower = mean - LIMIT_CONSTANT * mean_range
    near_upper = mean + 2 * LIMIT_CONSTANT / 3 * mean_range
    near_lower = mean - 2 * LIMIT_CONSTANT / 3 * mean_range
    side = [_sign(y - mean) for y in values]
    outside = [y > upper or y < lower for y in values]
    beyond_two_sigma = [y < near_lower or y > near_upper for y in values]
    if two_of_three == "legacy":
        close = [b and not o for b, o in zip(beyond_two_sigma, outside, strict=True)]
    else:
        close = beyond_two_sigma
    trend_part = _part_of_run(_trend_flags(values, trend_length), trend_length)
    two_three_part = _two_of_three(close, side)
    shift_part = _part_of_run(_runs_ending(side, run_length), run_length)

    n = len(values)
    results: list[tuple[SpecialCause | None, int]] = []
    for i in range(n):
        if outside[i]:
            results.append(("outside limits", 1 if side[i] == 1 else -1))
        elif trend_part[i]:
            # direction of the trend: use the step to the right when the next point is
            # in the trend too, else the step from the left (as the package does)
            if i + 1 < n and trend_part[i + 1]:
                step = _sign(values[i + 1] - values[i])
            else:
                step = _sign(values[i] - values[i - 1]) if i > 0 else 0
            results.append(("trend", 1 if step == 1 else -1))
        elif two_three_part[i]:
            results.append(("two of three", 1 if side[i] > 0 else -1))
        elif shift_part[i]:
            results.append(("shift", 1 if side[i] > 0 else -1))
        else:
            results.append((None, 0))
    return results


def _point_type(direction: int, improvement: Improvement) -> PointType:
    if direction == 0:
        return "common cause"
    if improvement == "neutral":
        return "neutral"
    wanted = 1 if improvement == "increase" else -1
    return "improvement" if direction == wanted else "concern"


def _variation_icon(point_type: PointType, direction: int) -> str:
    if point_type == "common cause":
        return "common cause"
    return f"{point_type} {'high' if direction > 0 else 'low'}"


def _assurance(
    target: float | None, improvement: Improvement, lower: float, upper: float
) -> Assurance | None:
    """Making Data Count assurance from the latest limits (``ptd_calculate_assurance_type``)."""
    if target is None or improvement == "neutral":
        return None
    increasing = improvement == "increase"
    if target > upper:
        return "fail" if increasing else "pass"
    if target < lower:
        return "pass" if increasing else "fail"
    return "inconsistent"


def xmr(
    values: Sequence[float],
    improvement: Improvement = "increase",
    target: float | None = None,
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    rebase_at: Sequence[int] = (),
    run_length: int = 7,
    two_of_three: TwoOfThree = "2023",
    *,
    trend_length: int = 7,
    minimum_points: int = 12,
) -> XmrChart:
    """Build an XmR chart following Making Data Count / NHSRplotthedots.

    ``rebase_at`` lists 0-based positions where a new segment (new mean and limits)
    starts. ``run_length`` (shift rule, default 7), ``trend_length`` (default 7, as in
    NHSRplotthedots; some Making Data Count material uses 6) and ``minimum_points``
    (short-segment warning, default 12) are the dated, versioned settings.
    """
    if improvement not in ("increase", "decrease", "neutral"):
        raise ValueError("improvement must be 'increase', 'decrease' or 'neutral'")
    if two_of_three not in ("2023", "legacy"):
        raise ValueError("two_of_three must be '2023' or 'legacy'")
    if not values:
        raise ValueError("values must not be empty")
    if any(not math.isfinite(v) for v in values):
        raise ValueError("values must be finite numbers")
    if run_length < 2 or trend_length < 2:
        raise ValueError("run_length and trend_length must be at least 2")
    if fix_after_n_points is not None and fix_after_n_points < 1:
        raise ValueError("fix_after_n_points must be at least 1")
    starts = sorted({0, *rebase_at})
    if starts[-1] >= len(values) or starts[0] < 0:
        raise ValueError("rebase positions must fall inside the series")

    bounds = [*starts, len(values)]
    means: list[float] = []
    lowers: list[float] = []
    uppers: list[float] = []
    shorts: list[bool] = []
    points: list[SpcPoint] = []
    directions: list[int] = []
    for segment, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        segment_values = list(values[start:end])
        mean, mean_range = _segment_limits(segment_values, screen_outliers, fix_after_n_points)
        means.append(mean)
        lowers.append(mean - LIMIT_CONSTANT * mean_range)
        uppers.append(mean + LIMIT_CONSTANT * mean_range)
        shorts.append(len(segment_values) < minimum_points)
        classified = _classify_segment(
            segment_values, mean, mean_range, run_length, trend_length, two_of_three
        )
        for offset, (cause, direction) in enumerate(classified):
            points.append(
                SpcPoint(
                    index=start + offset,
                    value=float(segment_values[offset]),
                    segment=segment,
                    special_cause=cause,
                    point_type=_point_type(direction, improvement),
                )
            )
            directions.append(direction)

    return XmrChart(
        mean=tuple(means),
        lower_limit=tuple(lowers),
        upper_limit=tuple(uppers),
        segment_starts=tuple(starts),
        short_segments=tuple(shorts),
        points=tuple(points),
        variation_icon=_variation_icon(points[-1].point_type, directions[-1]),
        assurance=_assurance(target, improvement, lowers[-1], uppers[-1]),
    )
