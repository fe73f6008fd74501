"""Funnel limits and significance against PHEindicatormethods' published test tables.

The CSV files in ``reference/`` are copies of PHEindicatormethods' own test data; each
file's header names the repository, path and commit it was copied from.
"""

import csv
from pathlib import Path

import pytest

from pbc.stats import funnel_limits, funnel_significance

REFERENCE = Path(__file__).parent / "reference"

LABELS = {
    ("high", "high"): "High (0.001)",
    ("high", "not significant"): "High (0.025)",
    ("low", "low"): "Low (0.001)",
    ("low", "not significant"): "Low (0.025)",
    ("not significant", "not significant"): "Not significant",
}

# ev and rate columns of ukhsa-collaboration/PHEindicatormethods,
# tests/testthat/testdata_funnel_rate_input_funnels.csv, commit
# 8ac28e54249d9b01d586b19d1d1b39f5af3d49ac: the inputs behind funnel_rate_outputs.csv.
RATE_EVENTS = [
    414, 462, 178, 525, 194, 937, 817, 117, 298, 228, 243, 13, 373, 664, 601, 602, 767,
    708, 90, 952, 347, 648, 988, 354, 839, 25, 518, 425, 648, 765, 210, 931, 589, 592,
    554, 870, 372, 843, 142, 543, 489, 620, 774, 904, 936, 841, 22, 922, 955, 308,
]  # fmt: skip
RATE_DSRS = [
    184, 102, 83, 118, 121, 125, 112, 190, 146, 140, 87, 70, 90, 139, 109, 65, 165, 143,
    55, 135, 135, 88, 167, 99, 83, 53, 62, 118, 176, 101, 71, 138, 74, 84, 161, 79, 189,
    170, 159, 113, 191, 116, 200, 171, 128, 134, 185, 100, 123, 155,
]  # fmt: skip


def read_reference(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def label(result) -> str:
    return LABELS[(result.significance_95, result.significance_998)]


def close(actual: float, expected: float) -> bool:
    """Equal to 1e-6, or to the 10 significant figures the reference CSVs print."""
    return abs(actual - expected) <= max(1e-6, 1e-9 * abs(expected))


def test_proportion_funnel_limits_match_reference_to_1e_6():
    inputs = read_reference("funnel_prop_inputs.csv")
    average = sum(float(r["numerator"]) for r in inputs) / sum(
        float(r["denominator"]) for r in inputs
    )
    outputs = read_reference("funnel_prop_outputs.csv")
    assert average * 100 == pytest.approx(float(outputs[0]["Baseline"]), abs=1e-6)
    limits = funnel_limits("proportion", average, [float(r["Population"]) for r in outputs])
    assert len(limits) == len(outputs) == 100
    for row, expected in zip(limits, outputs, strict=True):
        assert row.denominator == float(expected["Population"])
        # the reference prints 6 decimal places, so agreement is within 5e-7 + rounding
        assert row.lower_95 == pytest.approx(float(expected["Lower2s0025limit"]), abs=1e-6)
        assert row.upper_95 == pytest.approx(float(expected["Upper2s0025limit"]), abs=1e-6)
        assert row.lower_998 == pytest.approx(float(expected["Lower3s0001limit"]), abs=1e-6)
        assert row.upper_998 == pytest.approx(float(expected["Upper3s0001limit"]), abs=1e-6)


def test_proportion_significance_matches_reference_for_every_area():
    inputs = read_reference("funnel_prop_inputs.csv")
    results = funnel_significance(
        "proportion",
        [float(r["numerator"]) for r in inputs],
        [float(r["denominator"]) for r in inputs],
    )
    assert [label(r) for r in results] == [r["significance"] for r in inputs]
    # the reference table exercises every category
    assert {label(r) for r in results} == set(LABELS.values())


# (reference column prefix, FunnelLimits attribute)
SIDES = [("lower_2s", "lower_95"), ("upper_2s", "upper_95")]
SIDES += [("lower_3s", "lower_998"), ("upper_3s", "upper_998")]

#: PHEindicatormethods' ``poisson_funnel`` finds each expected count by bisection on
#: v = mu / (mu + O + 1), stopping once its step is below 1e-7.
REFERENCE_BISECTION_STEP = 1e-7
#: The points where that bisection, not the printed digits, limits the published value to
#: worse than a relative 1e-6 (1 and 2 events at the 99.8% limits).
COARSE_POINTS = {(1, "lower_3s"), (1, "upper_3s"), (2, "lower_3s")}


def reference_allowance(statistic, average, events, denominator, attribute):
    """How far the limit moves over the reference's own bisection uncertainty in the
    expected count ``mu = average x denominator``: d mu = (O + 1) / (1 - v)^2 x 1e-7."""
    mu = average * denominator
    v = mu / (mu + events + 1)
    step = (events + 1) / (1 - v) ** 2 * REFERENCE_BISECTION_STEP / average
    low, high = funnel_limits(statistic, average, [denominator - step, denominator + step])
    return abs(getattr(high, attribute) - getattr(low, attribute)) / 2


def check_point(statistic, average, events, denominator, prefix, attribute, published, scale=1):
    """``funnel_limits`` at the published denominator against the published limit."""
    ours = getattr(funnel_limits(statistic, average, [denominator])[0], attribute) / scale
    tolerance = 1e-6 * abs(published)
    if (events, prefix) in COARSE_POINTS:
        allowance = reference_allowance(statistic, average, events, denominator, attribute)
        assert allowance > tolerance * scale  # the reference is coarser than 1e-6 here
        tolerance = allowance / scale
    assert abs(ours - published) <= tolerance, (events, prefix, ours, published)


def test_ratio_funnel_limits_match_reference():
    """``funnel_limits("ratio", 1, [E])`` at each published expected count E against the
    published ISR (O / E x 100) and count ratio (O / E - 1, at multiplier 1).

    Tolerance: relative 1e-6. Absolute 1e-6 is not attainable against this table: its
    expected counts come from a bisection on v = mu/(mu + O + 1) stopped at a step of 1e-7,
    which leaves them about 1e-7 (relative) from the exact root, so the ISR at the printed E
    differs from O/E by about 1e-5 on values of 20-100 (the 10 printed significant figures are
    finer than that). At the three ``COARSE_POINTS`` the bisection step moves the limit by more
    than 1e-6 relative; there the tolerance is exactly what that step allows
    (``reference_allowance``).
    """
    rows = read_reference("funnel_ratio_outputs.csv")
    assert len(rows) == 27
    for row in rows:
        events = int(row["Observed_events"])
        for prefix, attribute in SIDES:
            expected = float(row[f"{prefix}_exp_events"])
            published = float(row[f"{prefix}_isr"])
            check_point("ratio", 1.0, events, expected, prefix, attribute, published)
            count_ratio = getattr(
                funnel_limits("ratio", 1.0, [expected], multiplier=1)[0], attribute
            )
            assert abs((count_ratio - 1) - float(row[f"{prefix}_count"])) <= max(
                1e-6 * count_ratio, reference_allowance("ratio", 1.0, events, expected, attribute)
            )


def test_rate_funnel_limits_match_reference():
    """``funnel_limits("rate", average, [3 x population])`` (three years of data, per 100,000)
    at each published annual population against the published rate limit, at the reference's
    average (recomputed from its inputs; equal to its printed baseline).

    Tolerance as for ratios: relative 1e-6, and at the three ``COARSE_POINTS`` what the
    reference's bisection step allows (its populations are its expected counts / average).
    """
    multiplier, years = 100_000, 3
    average = sum(RATE_EVENTS) / sum(
        multiplier * e / r for e, r in zip(RATE_EVENTS, RATE_DSRS, strict=True)
    )
    rows = read_reference("funnel_rate_outputs.csv")
    assert len(rows) == 25
    assert close(average * multiplier, float(rows[0]["baseline"]))
    for row in rows:
        events = int(row["Events"])
        for prefix, attribute in SIDES:
            denominator = float(row[f"{prefix}_population_1_year"]) * years
            published = float(row[f"{prefix}_limit"])
            check_point("rate", average, events, denominator, prefix, attribute, published)


def test_continuous_limits_at_an_exact_touching_point():
    """Where an integer count touches a limit exactly (the exact Poisson root, not the
    reference's bisection), ``funnel_limits`` returns that count's ratio to 1e-9."""
    from scipy.optimize import brentq
    from scipy.stats import poisson

    for observed in (1, 5, 22, 716):
        o = observed
        upper = brentq(lambda m, o=o: poisson.sf(o - 1, m) - 0.025, 1e-9, 2000, xtol=1e-14)
        lower = brentq(lambda m, o=o: poisson.cdf(o, m) - 0.025, 1e-9, 2000, xtol=1e-14)
        row_u, row_l = funnel_limits("ratio", 1.0, [upper, lower])
        assert row_u.upper_95 == pytest.approx(observed / upper * 100, rel=1e-9)
        assert row_l.lower_95 == pytest.approx(observed / lower * 100, rel=1e-9)


@pytest.mark.parametrize(
    ("rate_column", "label_column", "include_zero"),
    [
        ("rate_crude_per_100000", "crude_per_100000_with_0", True),
        ("rate_crude_per_100000", "crude_per_100000_without_0", False),
        ("rate_dsr", "dsr_per_100000_with_0", False),
    ],
)
def test_rate_significance_matches_reference(rate_column, label_column, include_zero):
    rows = read_reference("funnel_rate_significance.csv")
    if not include_zero:
        # a DSR of zero events has no derived denominator and is not assessed
        rows = [r for r in rows if int(r["count"]) > 0]
    counts = [int(r["count"]) for r in rows]
    # the reference derives denominators as count x multiplier / rate (the population
    # itself when there are no events)
    denominators = [
        c / float(r[rate_column]) * 100_000 if c > 0 else float(r["pop"])
        for c, r in zip(counts, rows, strict=True)
    ]
    results = funnel_significance("rate", counts, denominators)
    assert [label(r) for r in results] == [r[label_column] for r in rows]
