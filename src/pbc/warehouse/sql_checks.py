"""The named validity checks of `pbc.warehouse.datasets.CHECKS`, as vectorised DuckDB SQL.

The importer runs checks over millions of rows, so each named check has a SQL twin here that
DuckDB evaluates column-at-a-time. The Python functions in `CHECKS` stay the definition: a
property test (tests/warehouse/test_sql_checks.py) asserts that every SQL twin agrees with its
Python original on arbitrary strings. A check without a SQL twin still works: the importer
falls back to calling the Python function once per distinct value (slower).

Each entry maps a check name to a function from a SQL expression (a trimmed VARCHAR, never
NULL when evaluated) to a SQL boolean expression.
"""

from __future__ import annotations

from collections.abc import Callable


def _regex(pattern: str) -> Callable[[str], str]:
    def sql(expr: str) -> str:
        return f"regexp_full_match({expr}, '{pattern}')"

    return sql


def _nhs_number(expr: str) -> str:
    """Modulus 11, as `pbc.codes.is_valid_nhs_number`, after removing whitespace and dashes.

    Ten digits d1..d10, not all the same; s = sum(d_i * (11 - i)) for i = 1..9;
    c = 11 - (s mod 11), with 11 read as 0; valid when c = d10 (c = 10 never matches a digit).
    The whitespace class is Python's ASCII `\\s` (tab, newline, \\x0b, \\f, \\r, \\x1c-\\x1f, space).
    """
    stripped = f"regexp_replace({expr}, '[\\t\\n\\x0b\\f\\r\\x1c-\\x1f -]', '', 'g')"
    # Most values are already ten bare digits: test those without the regexp_replace.
    return (
        f"(CASE WHEN regexp_full_match({expr}, '[0-9]{{10}}') THEN {_nhs_from_digits(expr)} "
        f"ELSE {_nhs_from_digits(stripped)} END)"
    )


def _nhs_from_digits(d: str) -> str:
    digit = "(ascii(substr({d}, {i}, 1)) - 48)"
    total = " + ".join(f"{digit.format(d=d, i=i)} * {11 - i}" for i in range(1, 10))
    check = f"(11 - ({total}) % 11)"
    return (
        f"(regexp_full_match({d}, '[0-9]{{10}}') AND {d} <> repeat(left({d}, 1), 10) "
        f"AND (CASE WHEN {check} = 11 THEN 0 ELSE {check} END) = {digit.format(d=d, i=10)})"
    )


SQL_CHECKS: dict[str, Callable[[str], str]] = {
    "nhs_number": _nhs_number,
    "gp_practice_code": lambda expr: (
        f"(regexp_full_match({expr}, '[A-Z][0-9]{{5}}') "
        f"AND NOT list_contains(['V81997', 'V81998', 'V81999'], {expr}))"
    ),
    "provider_code": _regex("[A-Z0-9]{3}|[A-Z0-9]{5}"),
    "pct_code": _regex("5[A-Z0-9]{2}"),
    "hrg_code": _regex("[A-Z]{2}[0-9]{2}[A-Z]|[A-Z][0-9]{2}"),
    "treatment_function_code": _regex("[0-9]{3}"),
    "icd10_code": _regex("[A-Z][0-9]{2}(\\.?[0-9X]{1,2})?"),
    "bnf_code": _regex("[0-9A-Z]{15}|2[0-3][0-9]{9}"),
    "rtt_treatment_function_code": _regex("[0-9]{3}|X0[1-9]"),
    "ods_code": _regex("[A-Z0-9]{3}([A-Z0-9]{2,3})?"),
    "commissioner_code": _regex(
        "(5[A-Z0-9]{2}|TA[A-Z0-9]|Q[A-Z0-9]{2}|[0-9]{2}[A-Z0-9]|X[0-9]{2})(00)?|Y[A-Z0-9]{4}"
        "|[A-Z][0-9][A-Z][0-9][A-Z]"
    ),
    "nothing_not_known": lambda expr: f"({expr} = '')",
}
