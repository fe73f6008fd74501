from hypothesis import given
from hypothesis import strategies as st

from pbc import codes


def test_published_nhs_number_vectors() -> None:
    assert codes.is_valid_nhs_number("9434765919")
    assert not codes.is_valid_nhs_number("9434765918")
    assert codes.is_valid_nhs_number("4010232137")


def test_nhs_number_formatting_and_junk() -> None:
    assert codes.is_valid_nhs_number("943 476 5919")
    assert codes.is_valid_nhs_number("943-476-5919")
    for junk in ["", None, "943476591", "94347659190", "94347659A9", "0000000000", "1111111111"]:
        assert not codes.is_valid_nhs_number(junk)


def test_test_range() -> None:
    nine = "999000001"
    check = codes.nhs_number_check_digit(nine)
    assert check is not None
    assert codes.is_test_range_nhs_number(nine + str(check))
    assert not codes.is_test_range_nhs_number("9434765919")


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_check_digit_round_trip_and_single_digit_errors(nine: str) -> None:
    check = codes.nhs_number_check_digit(nine)
    if check is None:  # remainder 10: no valid number with these nine digits
        assert not any(codes.is_valid_nhs_number(nine + str(d)) for d in range(10))
        return
    number = nine + str(check)
    if len(set(number)) == 1:
        return
    assert codes.is_valid_nhs_number(number)
    # Modulus 11 catches every single-digit substitution.
    for position in range(10):
        for digit in "0123456789":
            if digit != number[position]:
                altered = number[:position] + digit + number[position + 1 :]
                assert not codes.is_valid_nhs_number(altered)


def test_ods_code_shapes() -> None:
    assert codes.is_practice_code("E82001")
    for bad in ["e82001", "E8200", "E820011", "82001E", "EE2001", ""]:
        assert not codes.is_practice_code(bad)
    assert codes.is_trust_code("RWG")
    assert not codes.is_trust_code("XWG")
    assert codes.is_provider_code("RWG") and codes.is_provider_code("NT4")
    assert codes.is_provider_code("RWG01")
    assert not codes.is_provider_code("RW") and not codes.is_provider_code("rwg")
    assert codes.is_pct_code("5P3") and not codes.is_pct_code("P53")


def test_only_ascii_digits_and_no_trailing_newline() -> None:
    # "٩" (Arabic-Indic nine) and "²" pass str.isdigit() and a plain regex \d.
    assert not codes.is_valid_nhs_number("943476591٩")
    assert not codes.is_valid_nhs_number("94347659²9")
    assert not codes.is_practice_code("E8260١")
    assert not codes.is_practice_code("E82601\n")  # `$` alone would accept a trailing newline
    assert not codes.is_trust_code("RWG\n")
    assert not codes.is_pct_code("5P3\n")
    assert codes.is_practice_code("E82601")


def test_warehouse_code_checks_are_ascii_and_whole_value() -> None:
    from pbc.warehouse.datasets import CHECKS

    assert CHECKS["treatment_function_code"]("110")
    assert not CHECKS["treatment_function_code"]("1١0")
    assert not CHECKS["hrg_code"]("HB12C\n")
    assert not CHECKS["icd10_code"]("I2١.9")
