"""Life expectancy against PHEindicatormethods' published test case and validity rules.

Source: ukhsa-collaboration/PHEindicatormethods, tests/testthat/testLifeExpectancy.R,
commit 005c05b0e1a6be4a7d35e2d737f90bc01d9b3b06: data frame ``df1`` and ``answer1``
(copied verbatim below), plus the ``df_*`` invalid inputs.
"""

import pytest
from scipy.stats import norm

from pbc.stats import STANDARD_START_AGES, life_expectancy

POPS = [
    7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
    50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936,
]  # fmt: skip
DEATHS = [
    17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937,
]  # fmt: skip
ANSWER_VALUE = [
    80.16960813, 79.36245674, 75.44193645, 70.47299936, 65.52909542, 60.67510088,
    55.78835987, 50.92752727, 46.06740425, 41.24505636, 36.49322717, 31.83343842,
    27.26027992, 22.9719144, 18.76856852, 14.95858336, 11.51684445, 8.618849241,
    6.163942934, 6.16210635,
]  # fmt: skip
ANSWER_LOWER = [
    79.88268548, 79.0898816, 75.17407307, 70.20675732, 65.26548673, 60.41876577,
    55.53801579, 50.68279939, 45.82666794, 41.00842831, 36.26223216, 31.60996318,
    27.04337271, 22.76653134, 18.57570352, 14.77985004, 11.34831778, 8.451134045,
    5.978358351, 5.887683386,
]  # fmt: skip
ANSWER_UPPER = [
    80.45653078, 79.63503188, 75.70979983, 70.7392414, 65.79270412, 60.931436,
    56.03870395, 51.17225516, 46.30814055, 41.48168441, 36.72422219, 32.05691365,
    27.47718713, 23.17729746, 18.96143352, 15.13731667, 11.68537112, 8.786564437,
    6.349527517, 6.436529314,
]  # fmt: skip


def test_values_match_reference_to_1e_6():
    bands = life_expectancy(STANDARD_START_AGES, POPS, DEATHS)
    assert [b.start_age for b in bands] == list(STANDARD_START_AGES)
    for band, expected in zip(bands, ANSWER_VALUE, strict=True):
        assert band.value == pytest.approx(expected, abs=1e-6)


def test_limits_match_reference():
    """The published limits were made with z = 1.96; the R package uses qnorm(0.975).

    The package's own test compares to 4 decimal places. Rescaling our half-width to
    z = 1.96 reproduces the published limits to 1e-6, which pins down the variance.
    """
    z = norm.ppf(0.975)
    bands = life_expectancy(STANDARD_START_AGES, POPS, DEATHS)
    for band, lower, upper in zip(bands, ANSWER_LOWER, ANSWER_UPPER, strict=True):
        assert band.lower == pytest.approx(lower, abs=1e-4)
        assert band.upper == pytest.approx(upper, abs=1e-4)
        half_width = (band.upper - band.lower) / 2 * 1.96 / z
        assert band.value - half_width == pytest.approx(lower, abs=1e-6)
        assert band.value + half_width == pytest.approx(upper, abs=1e-6)


def test_band_order_does_not_matter():
    order = list(range(14)) + [15, 16, 17, 18, 19, 14]  # df2 in the reference test
    bands = life_expectancy(
        [STANDARD_START_AGES[i] for i in order],
        [POPS[i] for i in order],
        [DEATHS[i] for i in order],
    )
    assert [b.value for b in bands] == pytest.approx(ANSWER_VALUE, abs=1e-6)


def test_wider_at_higher_confidence():
    at_95 = life_expectancy(STANDARD_START_AGES, POPS, DEATHS)
    at_998 = life_expectancy(STANDARD_START_AGES, POPS, DEATHS, confidence=0.998)
    for a, b in zip(at_95, at_998, strict=True):
        assert b.lower < a.lower < a.value < a.upper < b.upper


def replaced(values, index, new):
    return [new if i == index else v for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("start_ages", "pops", "deaths", "reason"),
    [
        (STANDARD_START_AGES, POPS, replaced(DEATHS, 3, -5), "negative deaths"),
        (STANDARD_START_AGES, replaced(POPS, 5, 0), DEATHS, "zero or negative population"),
        (STANDARD_START_AGES, replaced(POPS, 18, 119), DEATHS, "more deaths than population"),
        (STANDARD_START_AGES[:-1], POPS[:-1], DEATHS[:-1], "age bands must be"),
        (
            STANDARD_START_AGES,
            [128, 152, 120, 176, 194, 180, 145, 149, 107, 185, 165, 109, 100, 122, 133, 189]
            + [123, 121, 147, 138],
            [58, 93, 78, 94, 59, 71, 80, 73, 69, 72, 91, 69, 78, 71, 54, 91, 82, 53, 50, 84],
            "total population",
        ),
        (STANDARD_START_AGES, POPS, replaced(DEATHS, 19, 0), "no deaths in the last"),
    ],
)
def test_invalid_tables_give_no_results(start_ages, pops, deaths, reason):
    bands = life_expectancy(start_ages, pops, deaths)
    assert len(bands) == len(start_ages)
    for band in bands:
        assert band.value is None and band.lower is None and band.upper is None
        assert band.reason is not None and band.reason.startswith(reason)


def test_value_suppressed_when_interval_wider_than_20_years():
    # one death among 30 people aged 90+: e(90) = 30 years with a standard error of
    # 1/(M*sqrt(D)) = 30 years, so the oldest bands have very wide intervals
    pops = replaced(POPS, 19, 30)
    deaths = replaced(DEATHS, 19, 1)
    bands = life_expectancy(STANDARD_START_AGES, pops, deaths)
    assert bands[-1].reason is not None
    wide = [b for b in bands if b.reason is not None]
    assert wide, "expected at least one band with a very wide interval"
    for band in wide:
        assert band.value is None
        assert band.lower is not None and band.upper is not None
        assert band.upper - band.lower > 20
    for band in bands:
        if band.reason is None:
            assert band.upper - band.lower <= 20
