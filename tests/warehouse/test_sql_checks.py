"""The SQL twins of the named checks agree with the Python definitions in CHECKS."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbc import codes
from pbc.warehouse.datasets import CHECKS
from pbc.warehouse.sql_checks import SQL_CHECKS

# ASCII letters, digits and the separators real codes carry. (Python's \d also matches
# non-ASCII digits such as "٣"; the SQL twins accept ASCII digits only, as the NHS does.)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefXx .-/\t"
CON = duckdb.connect()


def sql_verdicts(check: str, values: list[str]) -> list[bool]:
    sql = f"SELECT list_transform(?::VARCHAR[], lambda x: {SQL_CHECKS[check]('x')})"
    [(verdicts,)] = CON.execute(sql, [values]).fetchall()
    return [bool(v) for v in verdicts]


def test_every_named_check_has_a_sql_twin() -> None:
    assert set(CHECKS) <= set(SQL_CHECKS)


def nhs_like() -> st.SearchStrategy[str]:
    digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
    valid = st.integers(0, 999_999_999).map(lambda n: f"{n:09d}").filter(
        lambda s: codes.nhs_number_check_digit(s) is not None
    ).map(lambda s: s + str(codes.nhs_number_check_digit(s)))  # fmt: skip
    spaced = valid.map(lambda s: f"{s[:3]} {s[3:6]}-{s[6:]}")
    return st.one_of(digits, valid, spaced)


# The valid shape of each check (the regexes are restated here, not imported, so that a change
# to either side is caught).
SHAPES = {
    "gp_practice_code": r"[A-Z][0-9]{5}",
    "provider_code": r"[A-Z0-9]{3}|[A-Z0-9]{5}",
    "pct_code": r"5[A-Z0-9]{2}",
    "hrg_code": r"[A-Z]{2}[0-9]{2}[A-Z]|[A-Z][0-9]{2}",
    "treatment_function_code": r"[0-9]{3}",
    "icd10_code": r"[A-Z][0-9]{2}(\.?[0-9X]{1,2})?",
    "bnf_code": r"[0-9A-Z]{15}|2[0-3][0-9]{9}",
    "rtt_treatment_function_code": r"[0-9]{3}|X0[1-9]",
    "ods_code": r"[A-Z0-9]{3}([A-Z0-9]{2,3})?",
    "commissioner_code": r"(5[A-Z0-9]{2}|TA[A-Z0-9]|Q[A-Z0-9]{2}|[0-9]{2}[A-Z0-9]|X[0-9]{2})(00)?"
    r"|Y[A-Z0-9]{4}|[A-Z][0-9][A-Z][0-9][A-Z]",
}


@st.composite
def near_misses(draw: st.DrawFn, check: str) -> str:
    """A valid code of this check with one character deleted, doubled, replaced or lowered."""
    shape = SHAPES.get(check)
    code = draw(nhs_like() if shape is None else st.from_regex(shape, fullmatch=True))
    at = draw(st.integers(0, max(len(code) - 1, 0)))
    edit = draw(st.sampled_from(["delete", "double", "replace", "lower", "none"]))
    if edit == "delete":
        return code[:at] + code[at + 1 :]
    if edit == "double":
        return code[:at] + code[at : at + 1] * 2 + code[at + 1 :]
    if edit == "replace":
        return code[:at] + draw(st.sampled_from(ALPHABET)) + code[at + 1 :]
    if edit == "lower":
        return code[:at] + code[at : at + 1].lower() + code[at + 1 :]
    return code


@pytest.mark.parametrize("check", sorted(CHECKS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_sql_twin_agrees_with_python(check: str, data: st.DataObject) -> None:
    values = data.draw(
        st.lists(
            st.one_of(st.text(alphabet=ALPHABET, max_size=16), near_misses(check)),
            min_size=1,
            max_size=60,
        )
    )
    values = [v.strip(" \t\r\n") for v in values]  # the importer trims before checking
    values = [v for v in values if v]  # and never checks a missing value
    expected = [bool(CHECKS[check](v)) for v in values]
    assert sql_verdicts(check, values) == expected


def test_nhs_number_examples() -> None:
    values = ["9434765919", "943 476 5919", "943-476-5919", "9434765918", "1111111111", "943476591"]
    assert sql_verdicts("nhs_number", values) == [True, True, True, False, False, False]
