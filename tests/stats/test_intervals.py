"""Intervals, DSR and ISR.

PHEindicatormethods keeps the expected values for these in Excel workbooks
(tests/testthat/testdata_Byars_Wilson.xlsx, testdata_Proportion.xlsx, testdata_Rate.xlsx,
testdata_DSR_ISR_SMR.xlsx) that the reference search could not read as text, so these
tests check the published formulas another way: Wilson limits against Newcombe (1998)'s
published table and the score-test equation, exact Poisson limits against Poisson tail
probabilities, Byar's against hand calculation, DSR against the one-band and
constant-rate identities and a hand-worked Dobson example.
"""

import math

import pytest
from scipy.stats import norm, poisson

from pbc.stats import count_ci, dsr, esp2013_weights, isr, proportion_ci, rate_ci
from pbc.stats.standardised import european_standard_population_2013


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    # Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
    # seven methods. Stat Med 1998;17:857-872, Table II, method 3 (Wilson score).
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611)],
)
def test_wilson_matches_newcombe_1998(x, n, lower, upper):
    interval = proportion_ci(x, n)
    assert interval.value == x / n
    assert interval.lower == pytest.approx(lower, abs=5e-5)
    assert interval.upper == pytest.approx(upper, abs=5e-5)


@pytest.mark.parametrize(("x", "n", "confidence"), [(65, 100, 0.95), (1045, 5000, 0.998)])
def test_wilson_limits_solve_the_score_equation(x, n, confidence):
    z = norm.ppf(confidence + (1 - confidence) / 2)
    interval = proportion_ci(x, n, confidence)
    for p in (interval.lower, interval.upper):
        assert (x / n - p) ** 2 == pytest.approx(z * z * p * (1 - p) / n, rel=1e-9)


@pytest.mark.parametrize("x", [1, 4, 9, 25])
def test_exact_limits_have_the_stated_tail_probabilities(x):
    interval = count_ci(x, 0.95, method="exact")
    assert poisson.sf(x - 1, interval.lower) == pytest.approx(0.025, abs=1e-9)
    assert poisson.cdf(x, interval.upper) == pytest.approx(0.025, abs=1e-9)


def test_exact_zero_count():
    interval = count_ci(0, 0.95, method="exact")
    assert interval.lower == 0
    assert interval.upper == pytest.approx(-math.log(0.025), abs=1e-9)


def test_byars_by_hand():
    z = 1.959963984540054
    lower = 65 * (1 - 1 / (9 * 65) - z / (3 * math.sqrt(65))) ** 3
    upper = 66 * (1 - 1 / (9 * 66) + z / (3 * math.sqrt(66))) ** 3
    interval = count_ci(65)
    assert (interval.lower, interval.upper) == pytest.approx((lower, upper), abs=1e-9)
    # 50.163187710, 82.849138546 to 9 decimal places
    assert interval.lower == pytest.approx(50.16318771, abs=1e-6)
    assert interval.upper == pytest.approx(82.84913855, abs=1e-6)


def test_byars_close_to_exact_for_large_counts():
    byars, exact = count_ci(1045), count_ci(1045, method="exact")
    assert byars.lower == pytest.approx(exact.lower, rel=1e-4)
    assert byars.upper == pytest.approx(exact.upper, rel=1e-4)


def test_rate_switches_method_at_ten_events():
    nine, ten = rate_ci(9, 1000, multiplier=1000), rate_ci(10, 1000, multiplier=1000)
    assert nine.method == "exact" and ten.method == "byars"
    assert nine.value == pytest.approx(9.0)
    assert nine.lower == pytest.approx(count_ci(9, method="exact").lower, abs=1e-12)
    assert ten.upper == pytest.approx(count_ci(10).upper, abs=1e-12)


def test_invalid_inputs_raise():
    with pytest.raises(ValueError):
        proportion_ci(5, 4)
    with pytest.raises(ValueError):
        proportion_ci(1, 0)
    with pytest.raises(ValueError):
        count_ci(-1)
    with pytest.raises(ValueError):
        rate_ci(3, 100, confidence=80)  # below the reference's 0.9 (or 90%)


def test_esp2013_is_bundled():
    bands = european_standard_population_2013()
    assert len(bands) == 19
    assert bands[0].start_age == 0 and bands[-1].start_age == 90 and bands[-1].end_age is None
    assert sum(esp2013_weights()) == 100_000


def test_dsr_of_one_band_is_the_crude_rate_with_byars_limits():
    result = dsr([50], [20_000], [1])
    assert result is not None
    byars = count_ci(50)
    assert result.value == pytest.approx(250.0)
    assert result.lower == pytest.approx(byars.lower / 20_000 * 100_000, rel=1e-12)
    assert result.upper == pytest.approx(byars.upper / 20_000 * 100_000, rel=1e-12)


def test_dsr_with_equal_age_specific_rates_is_that_rate():
    populations = [1000 + 100 * i for i in range(19)]
    counts = [p / 500 for p in populations]  # 200 per 100,000 in every band
    result = dsr(counts, populations)
    assert result is not None
    assert result.value == pytest.approx(200.0, rel=1e-12)


def test_dsr_hand_worked_dobson_example():
    # two bands, standard populations 60 and 40:
    # DSR = (60*30/1000 + 40*20/500)/100 * 1e5 = 3400
    # var = (30*(60/1000)**2 + 20*(40/500)**2)/100**2 = 0.0000236
    result = dsr([30, 20], [1000, 500], [60, 40])
    assert result is not None
    assert result.value == pytest.approx(3400.0, rel=1e-12)
    low, high = count_ci(50).lower, count_ci(50).upper
    scale = math.sqrt(0.0000236 / 50) * 100_000
    assert result.lower == pytest.approx(3400 + scale * (low - 50), rel=1e-12)
    assert result.upper == pytest.approx(3400 + scale * (high - 50), rel=1e-12)


def test_dsr_not_calculated_below_ten_events():
    assert dsr([1] * 9 + [0] * 10, [1000] * 19) is None
    assert dsr([1] * 10 + [0] * 9, [1000] * 19) is not None


def test_isr_observed_expected_and_limits():
    result = isr([5, 10, 20], [1000, 2000, 1000], [30, 60, 100], [10_000, 10_000, 5000])
    expected = 30 / 10_000 * 1000 + 60 / 10_000 * 2000 + 100 / 5000 * 1000  # 35
    assert result.observed == 35 and result.expected == pytest.approx(expected)
    assert result.interval.value == pytest.approx(100.0)
    assert result.method == "byars"
    assert result.interval.lower == pytest.approx(count_ci(35).lower / expected * 100)
    small = isr([3], [1000], [5], [1000], reference_value=1)
    assert small.method == "exact"
    assert small.interval.upper == pytest.approx(count_ci(3, method="exact").upper / 5)
