"""Wilson, Byar's, exact, rates, DSR and ISR against an independent reference implementation.

PHEindicatormethods (UKHSA, R) keeps the expected values of these methods in Excel workbooks,
so the oracle here is ``phstatsmethods`` 0.1.16 (PyPI; module ``PHStatsMethods``), the
Department of Health and Social Care's Python port of PHEindicatormethods (repository
DataS-DHSC/PHStatsMethods, GPL-3). It is a test-only dependency: none of its code is in
``src/``. It imports and runs under our pandas 3. It is a dev dependency (pyproject.toml) and
is imported plainly, so a missing oracle fails the run instead of skipping these tests.

Inputs:

(a) The inputs written out in PHEindicatormethods' own test scripts,
    repository ukhsa-collaboration/PHEindicatormethods, commit
    0d9bf7e28a2acee518f56dd2e86e672ec7a786b0:
    - tests/testthat/testWilson.R: x = (65, 1045, 0.445), n = (100, 5000, 1) at 95% and 99.8%;
    - tests/testthat/testByars.R: x = (65, 1045, 1) at 95%, (65, 1045, 10) at 99.8%.
    testProportions.R (commit 056ff0d11ba3885f3518f5a6eba58c6ae65c215a), testRates.R (commit
    06632276041775ddbe3db0de6759d7bf6f96d460), testDSRs.R (commit
    056ff0d11ba3885f3518f5a6eba58c6ae65c215a) and testISRs.R (commit
    040737de2a7f299d06eb2f5c9398dd548a7b12b9) read all their inputs from
    testdata_Proportion.xlsx, testdata_Rate.xlsx, testdata_DSR_ISR_SMR.xlsx and
    testdata_ISR.xlsx, which cannot be read here; for those methods the published inputs are
    the port's own text test data instead: repository DataS-DHSC/PHStatsMethods,
    PHStatsMethods/tests/test_data/isr_dummydata.csv (commit
    d00e92bbca4e59d100990652bf92b52733852d00; area 1234, 2006, both sexes, 19 age bands) with
    ph_statistical_methods/tests/test_data/isr_refdummydata.csv (commit
    5b33ea931d7606feb3defcd52f60dce99a602dab) as the reference, and the numerators and
    denominators of the ``ph_proportion`` docstring example (PHStatsMethods/proportions.py).
(b) Hypothesis-generated inputs.

Tolerance: relative 1e-6 (``rel=1e-6``) on every value and limit; an absolute floor of 1e-12
only where the exact answer is 0 (a Wilson lower limit at x = 0), where a relative tolerance
means nothing. No tolerance is wider than that.

Conventions and the documented disagreements (docs/stats.md, "Reference port"):

- confidence is a fraction in both (0.95, 0.998); the R package also accepts 95 / 99.8;
- ``ph_proportion`` multiplier 1 = our fraction; ``ph_rate`` / ``ph_dsr`` multipliers are the
  same as ours; ``ph_ISRatio``'s ``refvalue`` (default 1) is our ``reference_value`` (default
  100), passed explicitly;
- the port's DSR needs exactly 19 age bands joined to its own ESP 2013 (the same vector as
  our bundled ``esp2013.csv``);
- the port's ``byars_lower`` / ``byars_upper`` switch to the exact method below 10 events; the R
  package's ``byars_lower`` / ``byars_upper`` (and Breslow & Day) do not. Our ``count_ci(...,
  "byars")`` follows the R package, so below 10 it is compared with the formula, and our exact
  interval is compared with the port's "Byar's" there;
- at x = 0 the port returns NaN for the exact lower limit (``chi2.ppf(a, 0)``) and raises for
  the Byar's upper limit; the limits are 0 and ``χ²⁻¹(1 − α/2; 2)/2`` (R's ``qchisq`` gives 0
  for 0 degrees of freedom), which is what we return.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings

import pandas as pd
import PHStatsMethods
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbc.stats import count_ci, dsr, esp2013_weights, isr, proportion_ci, rate_ci

REL = 1e-6
EXAMPLES = settings(max_examples=150, deadline=None)
SLOW_EXAMPLES = settings(max_examples=60, deadline=None)

# Confidence levels the port accepts: floats in [0.9, 1) rounded to 4 decimal places.
confidences = st.integers(min_value=9000, max_value=9990).map(lambda k: k / 10_000)


def close(ours: float, theirs: float) -> bool:
    return ours == pytest.approx(float(theirs), rel=REL, abs=0 if theirs else 1e-12)


# ---------------------------------------------------------------------------------------------
# (a) published inputs
# ---------------------------------------------------------------------------------------------

WILSON_R = [(65, 100), (1045, 5000), (0.445, 1)]  # testWilson.R


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize(("x", "n"), WILSON_R)
def test_wilson_published_inputs(x, n, confidence):
    ours = proportion_ci(x, n, confidence)
    assert close(ours.lower, PHStatsMethods.wilson_lower(x, n, confidence))
    assert close(ours.upper, PHStatsMethods.wilson_upper(x, n, confidence))


@pytest.mark.parametrize(
    ("x", "confidence"),
    [(65, 0.95), (1045, 0.95), (65, 0.998), (1045, 0.998), (10, 0.998)],  # testByars.R
)
def test_byars_published_inputs_from_ten_events(x, confidence):
    ours = count_ci(x, confidence, method="byars")
    assert close(ours.lower, PHStatsMethods.byars_lower(x, confidence))
    assert close(ours.upper, PHStatsMethods.byars_upper(x, confidence))


def test_byars_published_input_one_event_follows_the_r_package():
    """testByars.R's ``byars_lower(1)``: R applies Byar's formula; the port switches to exact."""
    z = 1.959963984540054
    ours = count_ci(1, 0.95, method="byars")
    assert ours.lower == pytest.approx(1 * (1 - 1 / 9 - z / 3) ** 3, rel=1e-12)
    assert ours.upper == pytest.approx(2 * (1 - 1 / 18 + z / (3 * math.sqrt(2))) ** 3, rel=1e-12)
    # the port's "Byar's" at 1 event is the exact interval, which our exact method equals
    exact = count_ci(1, 0.95, method="exact")
    assert close(exact.lower, PHStatsMethods.byars_lower(1, 0.95))
    assert close(exact.upper, PHStatsMethods.byars_upper(1, 0.95))
    assert not close(ours.lower, PHStatsMethods.byars_lower(1, 0.95))


# ph_proportion docstring example (PHStatsMethods/proportions.py), rows without a missing value
PROPORTION_EXAMPLE = [
    (48, 10000),
    (10000, 10000),
    (7, 10000),
    (82, 100),
    (6500, 10000),
    (10000, 10000),
    (750, 10000),
    (9, 100),
    (8200, 10000),
    (8, 10000),
    (900, 10000),
]


@pytest.mark.parametrize("multiplier", [1, 100])
@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_ph_proportion_published_inputs(confidence, multiplier):
    frame = pd.DataFrame(PROPORTION_EXAMPLE, columns=["numerator", "denominator"])
    theirs = PHStatsMethods.ph_proportion(
        frame, "numerator", "denominator", confidence=confidence, multiplier=multiplier
    )
    assert list(theirs.numerator) == [x for x, _ in PROPORTION_EXAMPLE]
    for index, (x, n) in enumerate(PROPORTION_EXAMPLE):
        ours = proportion_ci(x, n, confidence)
        assert close(ours.value * multiplier, theirs.Value.iloc[index])
        assert close(ours.lower * multiplier, theirs[_ci(confidence, "lower")].iloc[index])
        assert close(ours.upper * multiplier, theirs[_ci(confidence, "upper")].iloc[index])


def _dummy_bands() -> tuple[list[int], list[int], list[int], list[int]]:
    """isr_dummydata.csv, indicator 1234, 2006: male and female counts and populations by band."""
    male_obs = [85, 198, 6, 160, 136, 17, 93, 125, 41, 178, 75, 193, 131, 50, 115, 55, 63, 136, 33]
    male_pop = [17490, 11671, 13160, 11495, 11811, 13756, 14127, 19995, 19115, 13151, 16851,
                19264, 13707, 14773, 12928, 18259, 11951, 15612, 16607]  # fmt: skip
    female_obs = [54, 105, 112, 171, 38, 105, 110, 168, 144, 45, 134, 83, 9, 119, 200, 173, 125,
                  134, 94]  # fmt: skip
    female_pop = [19399, 11641, 13358, 19007, 18273, 19521, 13454, 14357, 12633, 13694, 10487,
                  13919, 10783, 17607, 15094, 17357, 17069, 10595, 12707]  # fmt: skip
    return male_obs, male_pop, female_obs, female_pop


# isr_refdummydata.csv
REFERENCE_COUNTS = [31, 129, 127, 88, 179, 181, 70, 186, 11, 89, 157, 67, 41, 131, 48, 16, 46, 4,
                    181]  # fmt: skip
REFERENCE_POPS = [17532, 12160, 15188, 18503, 14928, 18671, 10937, 10713, 12013, 12170, 10271,
                  10959, 17687, 17360, 12985, 11281, 17375, 19851, 15769]  # fmt: skip
AGE_BANDS = [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"]


def _port_rate(x: float, n: float, confidence: float, multiplier: int) -> pd.Series:
    frame = pd.DataFrame({"x": [x], "n": [n]})
    return PHStatsMethods.ph_rate(
        frame, "x", "n", confidence=confidence, multiplier=multiplier
    ).iloc[0]


def _ci(confidence: float, side: str) -> str:
    from PHStatsMethods.validation import ci_col

    return ci_col(confidence, side)


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("multiplier", [100, 100_000])
def test_ph_rate_published_inputs(confidence, multiplier):
    male_obs, male_pop, female_obs, female_pop = _dummy_bands()
    for x, n in zip(male_obs + female_obs, male_pop + female_pop, strict=True):
        theirs = _port_rate(x, n, confidence, multiplier)
        ours = rate_ci(x, n, multiplier=multiplier, confidence=confidence)
        assert ours.method == theirs.Method.lower()
        assert close(ours.value, theirs.Value)
        assert close(ours.lower, theirs[_ci(confidence, "lower")])
        assert close(ours.upper, theirs[_ci(confidence, "upper")])


def _port_dsr(counts, pops, confidence: float, multiplier: int) -> pd.Series:
    frame = pd.DataFrame({"ageband": AGE_BANDS, "count": counts, "pop": pops})
    with contextlib.redirect_stdout(io.StringIO()):  # the port prints its age-band join
        result = PHStatsMethods.ph_dsr(
            frame, "count", "pop", "ageband", confidence=confidence, multiplier=multiplier
        )
    return result.iloc[0]


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("multiplier", [10_000, 100_000])
@pytest.mark.parametrize("sex", ["male", "female"])
def test_ph_dsr_published_inputs(sex, multiplier, confidence):
    male_obs, male_pop, female_obs, female_pop = _dummy_bands()
    counts, pops = (male_obs, male_pop) if sex == "male" else (female_obs, female_pop)
    theirs = _port_dsr(counts, pops, confidence, multiplier)
    ours = dsr(counts, pops, multiplier=multiplier, confidence=confidence)
    assert ours is not None
    assert close(ours.value, theirs.Value)
    assert close(ours.lower, theirs[_ci(confidence, "lower")])
    assert close(ours.upper, theirs[_ci(confidence, "upper")])


def test_port_uses_the_same_esp2013():
    assert tuple(PHStatsMethods.euro_standard_pop().euro_standard_pops) == esp2013_weights()


def _port_isr(counts, pops, ref_counts, ref_pops, confidence: float, refvalue: int) -> pd.Series:
    frame = pd.DataFrame({"count": counts, "pop": pops, "refcount": ref_counts, "refpop": ref_pops})
    return PHStatsMethods.ph_ISRatio(
        frame, "count", "pop", "refcount", "refpop", confidence=confidence, refvalue=refvalue
    ).iloc[0]


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("refvalue", [1, 100])
@pytest.mark.parametrize("sex", ["male", "female"])
def test_ph_isratio_published_inputs(sex, refvalue, confidence):
    male_obs, male_pop, female_obs, female_pop = _dummy_bands()
    counts, pops = (male_obs, male_pop) if sex == "male" else (female_obs, female_pop)
    theirs = _port_isr(counts, pops, REFERENCE_COUNTS, REFERENCE_POPS, confidence, refvalue)
    ours = isr(counts, pops, REFERENCE_COUNTS, REFERENCE_POPS, refvalue, confidence)
    assert ours.observed == theirs.Observed
    assert close(ours.expected, theirs.Expected)
    assert close(ours.interval.value, theirs.Value)
    assert close(ours.interval.lower, theirs[_ci(confidence, "lower")])
    assert close(ours.interval.upper, theirs[_ci(confidence, "upper")])


def test_isr_small_observed_uses_exact_in_both():
    """A single band with 3 observed events: exact limits in both implementations."""
    theirs = _port_isr([3], [1000], [40], [10_000], 0.95, 100)
    ours = isr([3], [1000], [40], [10_000], 100, 0.95)
    assert ours.method == "exact" and theirs.Method == "Exact"
    assert close(ours.interval.lower, theirs[_ci(0.95, "lower")])
    assert close(ours.interval.upper, theirs[_ci(0.95, "upper")])


def test_zero_events_where_the_port_has_no_answer():
    """Documented disagreement: the port has NaN / an error at 0; the formulas give 0 and χ²."""
    assert math.isnan(PHStatsMethods.exact_lower(0, 0.95))
    with pytest.raises(ValueError):
        PHStatsMethods.byars_upper(0, 0.95)
    ours = rate_ci(0, 1000, multiplier=1000)
    assert ours.method == "exact" and ours.lower == 0
    assert close(ours.upper, PHStatsMethods.exact_upper(0, 0.95) / 1000 * 1000)
    assert count_ci(0, 0.95, "byars").lower == 0


# ---------------------------------------------------------------------------------------------
# (b) Hypothesis-generated inputs
# ---------------------------------------------------------------------------------------------


@EXAMPLES
@given(data=st.data(), n=st.integers(min_value=1, max_value=10_000_000), confidence=confidences)
def test_wilson_agrees(data, n, confidence):
    x = data.draw(st.integers(min_value=0, max_value=n))
    ours = proportion_ci(x, n, confidence)
    assert close(ours.lower, PHStatsMethods.wilson_lower(x, n, confidence))
    assert close(ours.upper, PHStatsMethods.wilson_upper(x, n, confidence))


@EXAMPLES
@given(x=st.integers(min_value=1, max_value=5_000_000), confidence=confidences)
def test_exact_agrees(x, confidence):
    ours = count_ci(x, confidence, method="exact")
    assert close(ours.lower, PHStatsMethods.exact_lower(x, confidence))
    assert close(ours.upper, PHStatsMethods.exact_upper(x, confidence))


@EXAMPLES
@given(x=st.integers(min_value=10, max_value=5_000_000), confidence=confidences)
def test_byars_agrees_from_ten_events(x, confidence):
    ours = count_ci(x, confidence, method="byars")
    assert close(ours.lower, PHStatsMethods.byars_lower(x, confidence))
    assert close(ours.upper, PHStatsMethods.byars_upper(x, confidence))


@EXAMPLES
@given(x=st.integers(min_value=1, max_value=9), confidence=confidences)
def test_below_ten_the_ports_byars_is_our_exact(x, confidence):
    ours = count_ci(x, confidence, method="exact")
    assert close(ours.lower, PHStatsMethods.byars_lower(x, confidence))
    assert close(ours.upper, PHStatsMethods.byars_upper(x, confidence))


@SLOW_EXAMPLES
@given(
    x=st.integers(min_value=1, max_value=200_000),
    n=st.floats(min_value=1, max_value=1e8, allow_nan=False),
    multiplier=st.sampled_from([100, 1000, 100_000]),
    confidence=confidences,
)
def test_rate_agrees(x, n, multiplier, confidence):
    theirs = _port_rate(x, n, confidence, multiplier)
    ours = rate_ci(x, n, multiplier=multiplier, confidence=confidence)
    assert ours.method == theirs.Method.lower()
    assert close(ours.value, theirs.Value)
    assert close(ours.lower, theirs[_ci(confidence, "lower")])
    assert close(ours.upper, theirs[_ci(confidence, "upper")])


band_counts = st.lists(st.integers(min_value=0, max_value=500), min_size=19, max_size=19)
band_pops = st.lists(st.integers(min_value=1, max_value=200_000), min_size=19, max_size=19)


@SLOW_EXAMPLES
@given(
    counts=band_counts,
    pops=band_pops,
    multiplier=st.sampled_from([1000, 100_000]),
    confidence=confidences,
)
def test_dsr_agrees(counts, pops, multiplier, confidence):
    theirs = _port_dsr(counts, pops, confidence, multiplier)
    ours = dsr(counts, pops, multiplier=multiplier, confidence=confidence)
    if sum(counts) < 10:
        assert ours is None and math.isnan(theirs.Value)
        return
    assert ours is not None
    assert close(ours.value, theirs.Value)
    assert close(ours.lower, theirs[_ci(confidence, "lower")])
    assert close(ours.upper, theirs[_ci(confidence, "upper")])


@SLOW_EXAMPLES
@given(
    data=st.data(),
    bands=st.integers(min_value=1, max_value=19),
    refvalue=st.sampled_from([1, 100]),
    confidence=confidences,
)
def test_isr_agrees(data, bands, refvalue, confidence):
    counts = data.draw(st.lists(st.integers(0, 300), min_size=bands, max_size=bands))
    pops = data.draw(st.lists(st.integers(1, 100_000), min_size=bands, max_size=bands))
    ref_counts = data.draw(st.lists(st.integers(1, 50_000), min_size=bands, max_size=bands))
    ref_pops = data.draw(st.lists(st.integers(50_000, 5_000_000), min_size=bands, max_size=bands))
    ours = isr(counts, pops, ref_counts, ref_pops, refvalue, confidence)
    if sum(counts) == 0:
        # the port raises in byars_upper(0); see test_zero_events_where_the_port_has_no_answer
        with warnings.catch_warnings(), pytest.raises(ValueError):
            warnings.simplefilter("ignore")
            _port_isr(counts, pops, ref_counts, ref_pops, confidence, refvalue)
        return
    theirs = _port_isr(counts, pops, ref_counts, ref_pops, confidence, refvalue)
    assert ours.observed == theirs.Observed
    assert close(ours.expected, theirs.Expected)
    assert close(ours.interval.value, theirs.Value)
    assert close(ours.interval.lower, theirs[_ci(confidence, "lower")])
    assert close(ours.interval.upper, theirs[_ci(confidence, "upper")])
