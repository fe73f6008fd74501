"""Funnel limits and significance against PHEindicatormethods' published test tables.

The CSV files in ``reference/`` are copies of PHEindicatormethods' own test data; each
file's header names the repository, path and commit it was copied from.
"""

import csv
from pathlib import Path

import pytest

from pbc.stats import funnel_limits, funnel_significance, poisson_funnel_mean

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


SIDES = [("lower_2s", 0.025, "high"), ("upper_2s", 0.025, "low")]
SIDES += [("lower_3s", 0.001, "high"), ("upper_3s", 0.001, "low")]


def test_ratio_funnel_points_match_reference():
    rows = read_reference("funnel_ratio_outputs.csv")
    for row in rows:
        observed = int(row["Observed_events"])
        for prefix, tail, side in SIDES:
            expected_events = poisson_funnel_mean(observed, tail, side)
            assert close(expected_events, float(row[f"{prefix}_exp_events"]))
            assert close(observed / expected_events * 100, float(row[f"{prefix}_isr"]))
            assert close(observed / expected_events - 1, float(row[f"{prefix}_count"]))


def test_rate_funnel_points_match_reference():
    multiplier, years = 100_000, 3
    average = sum(RATE_EVENTS) / sum(
        multiplier * e / r for e, r in zip(RATE_EVENTS, RATE_DSRS, strict=True)
    )
    rows = read_reference("funnel_rate_outputs.csv")
    assert close(average * multiplier, float(rows[0]["baseline"]))
    for row in rows:
        events = int(row["Events"])
        for prefix, tail, side in SIDES:
            population = poisson_funnel_mean(events, tail, side) / average / years
            assert close(population, float(row[f"{prefix}_population_1_year"]))
            rate = events / (population * years) * multiplier
            assert close(rate, float(row[f"{prefix}_limit"]))


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


def test_continuous_ratio_limits_pass_through_the_reference_points():
    # at the expected count where an integer count touches a limit, funnel_limits
    # returns exactly that count's ratio
    for observed in (1, 5, 22, 716):
        for prefix, tail, side in SIDES:
            expected = poisson_funnel_mean(observed, tail, side)
            row = funnel_limits("ratio", 1.0, [expected])[0]
            value = {
                "lower_2s": row.lower_95,
                "upper_2s": row.upper_95,
                "lower_3s": row.lower_998,
                "upper_3s": row.upper_998,
            }[prefix]
            # the reference bisection stops at a step of 1e-7 in mu/(mu + O + 1)
            assert value == pytest.approx(observed / expected * 100, rel=2e-5)
