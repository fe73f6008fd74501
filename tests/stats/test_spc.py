"""XmR charts against NHSRplotthedots' published tests and snapshots.

Sources (nhs-r-community/NHSRplotthedots):
* tests/testthat/_snaps/ptd_spc.md, commit 174380d653d7a169a76f99deebb9fc21ed5fbbd6 and
  tests/testthat/_snaps/ptd_spc_standard.md, commit 3aefce797c5fae105a9fb53e1f290b5e464999af:
  summaries of ``y = rnorm(20)`` after ``set.seed(123)``, printed to 3 significant figures;
* tests/testthat/test-ptd_spc_standard.R, commit 2ec4e36851c074e231445e94db78e8cd24e6352b
  (outlier screening, fix_after_n_points, 2-in-3 on opposite sides of the mean);
* tests/testthat/test-ptd_calculate_point_type.R, commit
  0b49a46faa87622267a3792ae3a90156090c8add (run, trend and 2-in-3 rule vectors);
* tests/testthat/test-ptd_calculate_assurance_type.R, commit
  47af41fdbf71eb2edc7aa06e614fd78be1622984 (assurance).
"""

import pytest

from pbc.stats import xmr
from pbc.stats.spc import _assurance, _runs_ending, _trend_flags, _two_of_three

# R: set.seed(123); rnorm(20) (the snapshot prints these to 3 significant figures)
RNORM_SEED_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621,
    -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272,
    -0.55584113, 1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip


def three_sf(x: float) -> float:
    return float(f"{x:.3g}")


def test_snapshot_limits_single_series():
    chart = xmr(RNORM_SEED_123)
    assert (three_sf(chart.mean[0]), three_sf(chart.lower_limit[0])) == (0.142, -3.01)
    assert three_sf(chart.upper_limit[0]) == 3.29
    assert [p.point_type for p in chart.points] == ["common cause"] * 20
    assert chart.variation_icon == "common cause"
    assert chart.assurance is None
    assert chart.short_segments == (False,)


def test_snapshot_limits_in_two_groups_by_rebasing():
    # the snapshot's facets are the first and last ten points: rebasing at 10 gives the
    # same groups
    chart = xmr(RNORM_SEED_123, rebase_at=[10])
    assert chart.segment_starts == (0, 10)
    assert [three_sf(m) for m in chart.mean] == [0.0746, 0.209]
    assert [three_sf(x) for x in chart.lower_limit] == [-2.60, -3.28]
    assert [three_sf(x) for x in chart.upper_limit] == [2.75, 3.70]
    assert [p.segment for p in chart.points] == [0] * 10 + [1] * 10
    assert chart.short_segments == (True, True)


def test_limits_are_mean_plus_minus_2_66_mean_moving_range():
    values = [10, 12, 11, 13, 12, 14, 13, 12, 11, 12, 13, 12]
    ranges = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    mean, mean_range = sum(values) / len(values), sum(ranges) / len(ranges)
    chart = xmr(values)
    assert chart.mean[0] == pytest.approx(mean, abs=1e-12)
    assert chart.lower_limit[0] == pytest.approx(mean - 2.66 * mean_range, abs=1e-12)
    assert chart.upper_limit[0] == pytest.approx(mean + 2.66 * mean_range, abs=1e-12)


def test_target_gives_assurance_icon():
    # snapshot "summary with a target": target 0.5 lies inside (-3.01, 3.29)
    assert xmr(RNORM_SEED_123, target=0.5).assurance == "inconsistent"
    assert xmr(RNORM_SEED_123, target=0.5, improvement="neutral").assurance is None
    assert xmr(RNORM_SEED_123, target=-5).assurance == "pass"
    assert xmr(RNORM_SEED_123, target=5).assurance == "fail"
    assert xmr(RNORM_SEED_123, target=5, improvement="decrease").assurance == "pass"


def test_screening_outliers_changes_limits():
    data = list(RNORM_SEED_123)
    data[14] = 10  # R: data$y[15] <- 10
    r1 = xmr(RNORM_SEED_123)
    r2 = xmr(data)
    r3 = xmr(data, screen_outliers=False)
    assert len({r1.lower_limit, r2.lower_limit, r3.lower_limit}) == 3
    assert len({r1.upper_limit, r2.upper_limit, r3.upper_limit}) == 3
    assert r3.upper_limit[0] - r3.lower_limit[0] > r2.upper_limit[0] - r2.lower_limit[0]
    # the screened moving ranges are 10 - y14 and 10 - y16; the rest give the limits
    ranges = [abs(b - a) for a, b in zip(data, data[1:], strict=False)]
    average = sum(ranges) / len(ranges)
    kept = [r for r in ranges if r < 3.267 * average]
    assert len(kept) == len(ranges) - 2
    mean = sum(data) / len(data)
    assert r2.upper_limit[0] == pytest.approx(mean + 2.66 * sum(kept) / len(kept), abs=1e-12)


def test_fix_after_n_points_changes_limits():
    fixed = xmr(RNORM_SEED_123, fix_after_n_points=12)
    assert fixed.lower_limit != xmr(RNORM_SEED_123).lower_limit
    assert fixed.mean[0] == pytest.approx(sum(RNORM_SEED_123[:12]) / 12, abs=1e-12)
    assert len(fixed.points) == 20


def test_two_of_three_on_opposite_sides_is_common_cause():
    data = [1.0, -1.0] * 8
    data[14], data[15] = 5.5, -5.5
    chart = xmr(data, two_of_three="legacy")
    assert [p.point_type for p in chart.points[-2:]] == ["common cause", "common cause"]


def test_seven_points_one_side_of_mean():
    # ptd_seven_point_one_side_mean cases
    assert _runs_ending([], 7) == []
    assert _runs_ending([1] * 6, 7) == [0] * 6
    assert _runs_ending([1] * 6 + [-1], 7) == [0] * 7
    assert _runs_ending([1] * 8 + [-1], 7) == [0] * 6 + [1, 1, 0]
    assert _runs_ending([-1] * 8 + [1], 7) == [0] * 6 + [-1, -1, 0]
    assert _runs_ending([-1] + [1] * 8 + [-1], 7) == [0] * 7 + [1, 1, 0]


def test_seven_point_trend():
    # ptd_seven_point_trend cases
    assert _trend_flags([], 7) == []
    assert _trend_flags(list(range(1, 7)), 7) == [0] * 6
    assert _trend_flags([1, 2, 3, 3, 4, 5, 6], 7) == [0] * 7
    assert _trend_flags(list(range(1, 8)), 7) == [0] * 6 + [1]
    assert _trend_flags([2, *range(1, 8), 3], 7) == [0] * 7 + [1, 0]
    assert _trend_flags(list(range(7, 0, -1)), 7) == [0] * 6 + [-1]
    assert _trend_flags([2, *range(7, 0, -1), 3], 7) == [0] * 7 + [-1, 0]


def test_two_in_three():
    # ptd_two_in_three followed by ptd_part_of_two_in_three, all on one side of the mean
    def flags(close):
        return [int(f) for f in _two_of_three([bool(c) for c in close], [1] * len(close))]

    assert flags([]) == []
    assert flags([0, 0, 0]) == [0, 0, 0]
    assert flags([1, 0, 1]) == [1, 0, 1]
    assert flags([0, 1, 1]) == [0, 1, 1]
    assert flags([1, 1, 0]) == [1, 1, 0]
    assert flags([0, 0, 1, 0, 1, 0, 0]) == [0, 0, 1, 0, 1, 0, 0]
    assert flags([1, 0, 0, 1]) == [0, 0, 0, 0]
    assert flags([1, 0, 0, 1, 1]) == [0, 0, 0, 1, 1]


@pytest.mark.parametrize(
    ("improvement", "expected"),
    [
        ("increase", ["fail", "pass", "inconsistent"]),
        ("decrease", ["pass", "fail", "inconsistent"]),
        ("neutral", [None, None, None]),
    ],
)
def test_assurance_cases(improvement, expected):
    limits = [(1, 3), (5, 7), (1, 5)]  # (lpl, upl) with target 4
    assert [_assurance(4, improvement, lo, hi) for lo, hi in limits] == expected


def rising_tail():
    return [5.0, 6, 4, 5, 6, 4, 5, 6, 4, 5, 6, 4, 3.6, 3.9, 4.2, 4.5, 4.8, 5.1, 5.4]


def test_trend_at_end_is_improvement_when_increase_is_good():
    chart = xmr(rising_tail())
    tail = chart.points[-7:]
    assert [p.special_cause for p in tail] == ["trend"] * 7
    assert {p.point_type for p in tail} == {"improvement"}
    assert chart.variation_icon == "improvement high"
    assert chart.points[0].special_cause is None


def test_trend_at_end_is_concern_when_decrease_is_good():
    chart = xmr(rising_tail(), improvement="decrease")
    assert chart.points[-1].point_type == "concern"
    assert chart.variation_icon == "concern high"
    neutral = xmr(rising_tail(), improvement="neutral")
    assert neutral.points[-1].point_type == "neutral"
    assert neutral.variation_icon == "neutral high"


def test_run_of_seven_below_mean_is_a_shift():
    values = [10.0, 11, 9, 10, 11, 9, 10, 11, 9, 10, 9.5, 9.6, 9.5, 9.6, 9.5, 9.6, 9.5]
    chart = xmr(values)
    mean = chart.mean[0]
    assert all(v < mean for v in values[-7:])
    assert [p.special_cause for p in chart.points[-7:]] == ["shift"] * 7
    assert chart.points[-1].point_type == "concern"
    assert chart.variation_icon == "concern low"
    # with a run length of 8 the same seven points are common cause
    longer = xmr(values, run_length=8)
    assert longer.points[-1].special_cause is None


def test_point_above_upper_limit():
    values = [10.0, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, 9, 20]
    chart = xmr(values)
    assert chart.points[-1].value > chart.upper_limit[0]
    assert chart.points[-1].special_cause == "outside limits"
    assert chart.points[-1].point_type == "improvement"


def test_november_2023_two_of_three_counts_points_beyond_three_sigma():
    # one point beyond 3 sigma then one between 2 and 3 sigma; the window of three must
    # lie on one side of the mean (the base mean is 10)
    base = [10.0, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11, 9]
    probe = xmr(base)
    sigma = (probe.upper_limit[0] - probe.mean[0]) / 3
    values = [*base, probe.mean[0] + 4 * sigma, probe.mean[0] + 2.5 * sigma, 10.5]
    # limits fixed on the first 15 points, so the probe's sigma still applies
    legacy = xmr(values, two_of_three="legacy", fix_after_n_points=15)
    current = xmr(values, two_of_three="2023", fix_after_n_points=15)
    mean, upper = current.mean[0], current.upper_limit[0]
    near = mean + 2 / 3 * (upper - mean)
    assert values[-3] > upper and near < values[-2] < upper
    assert legacy.points[-2].special_cause is None
    assert current.points[-2].special_cause == "two of three"
    assert current.points[-3].special_cause == "outside limits"


def test_short_series_is_flagged_and_validated():
    assert xmr([1.0, 2, 3]).short_segments == (True,)
    assert xmr([1.0] * 12).short_segments == (False,)
    with pytest.raises(ValueError):
        xmr([])
    with pytest.raises(ValueError):
        xmr([1.0, 2.0], rebase_at=[5])
    with pytest.raises(ValueError):
        xmr([1.0, float("nan")])
