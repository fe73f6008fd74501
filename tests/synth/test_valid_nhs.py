"""The vectorised NHS number check used by the truth file agrees with pbc.codes."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pbc.codes import is_valid_nhs_number
from pbc.synth.faults import valid_nhs

_candidates = st.one_of(
    st.text(alphabet="0123456789", min_size=8, max_size=12),
    st.text(alphabet="0123456789 -", min_size=10, max_size=13),
    st.text(max_size=12),
    st.sampled_from(["9434765919", "9434765918", "0000000000", "", "999 000 0018"]),
)


@given(st.lists(_candidates, min_size=1, max_size=30))
def test_vectorised_check_equals_pbc_codes(values: list[str]) -> None:
    got = valid_nhs(pd.Series(values, dtype=object)).tolist()
    assert got == [is_valid_nhs_number(v) for v in values]
