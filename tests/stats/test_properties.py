"""Hypothesis invariants: limits bracket the value, and 99.8% limits are wider than 95%."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pbc.stats import count_ci, dsr, funnel_limits, isr, proportion_ci, rate_ci

counts = st.integers(min_value=0, max_value=100_000)
FAST = settings(max_examples=60, deadline=None)


def low(interval) -> float:
    """The lower limit; a missing one (the reference's NA: Byar's below 0) as open."""
    return float("-inf") if interval.lower is None else interval.lower


def wider(narrow, wide) -> bool:
    if wide.lower is None:  # missing at 99.8% (tiny counts, Byar's): wider by definition
        return wide.upper >= narrow.upper
    return (
        low(wide) <= low(narrow)
        and wide.upper >= narrow.upper
        and (wide.upper - low(wide) > narrow.upper - low(narrow))
    )


def brackets(interval) -> bool:
    return low(interval) <= interval.value <= interval.upper


@FAST
@given(data=st.data(), n=st.integers(min_value=1, max_value=1_000_000))
def test_proportion(data, n):
    x = data.draw(st.integers(min_value=0, max_value=n))
    at_95, at_998 = proportion_ci(x, n, 0.95), proportion_ci(x, n, 0.998)
    assert brackets(at_95) and brackets(at_998) and wider(at_95, at_998)
    assert at_998.lower >= 0 and at_998.upper <= 1


@FAST
@given(x=counts, method=st.sampled_from(["byars", "exact"]))
def test_count(x, method):
    at_95, at_998 = count_ci(x, 0.95, method), count_ci(x, 0.998, method)
    assert brackets(at_95) and brackets(at_998) and wider(at_95, at_998)


@FAST
@given(x=counts, n=st.floats(min_value=1, max_value=1e8))
def test_rate(x, n):
    at_95, at_998 = rate_ci(x, n, confidence=0.95), rate_ci(x, n, confidence=0.998)
    assert brackets(at_95) and brackets(at_998) and wider(at_95, at_998)


bands = st.lists(st.tuples(st.integers(0, 500), st.integers(1, 100_000)), min_size=19, max_size=19)


@FAST
@given(bands=bands)
def test_dsr(bands):
    counts, populations = [b[0] for b in bands], [b[1] for b in bands]
    at_95, at_998 = dsr(counts, populations), dsr(counts, populations, confidence=0.998)
    if sum(counts) < 10:
        assert at_95 is None and at_998 is None
    else:
        assert at_95 is not None and at_998 is not None
        assert brackets(at_95) and brackets(at_998) and wider(at_95, at_998)


@FAST
@given(
    bands=st.lists(st.tuples(st.integers(0, 500), st.integers(1, 10_000)), min_size=1, max_size=8)
)
def test_isr(bands):
    counts, populations = [b[0] for b in bands], [b[1] for b in bands]
    reference_counts = [c + 1 for c in counts]
    reference_populations = [p * 3 for p in populations]
    at_95 = isr(counts, populations, reference_counts, reference_populations).interval
    at_998 = isr(counts, populations, reference_counts, reference_populations, confidence=0.998)
    assert brackets(at_95) and brackets(at_998.interval) and wider(at_95, at_998.interval)


@FAST
@given(
    statistic=st.sampled_from(["proportion", "rate", "ratio"]),
    average=st.floats(min_value=0.01, max_value=0.99),
    denominator=st.floats(min_value=1, max_value=1e6),
)
def test_funnels_nest_around_the_average(statistic, average, denominator):
    row = funnel_limits(statistic, average, [denominator], multiplier=1)[0]
    assert row.lower_998 <= row.lower_95 <= average <= row.upper_95 <= row.upper_998
