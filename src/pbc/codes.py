"""Validation of NHS identifiers: NHS numbers and ODS organisation codes.

Pure functions with no Django dependency; the importers, the generator, forms and models use
them so that one definition decides what a valid code is.
"""

from __future__ import annotations

import re

_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
# ASCII digits only: str.isdigit() and a plain \d also accept "٣" or "²".
_NINE_DIGITS = re.compile(r"[0-9]{9}")
_TEN_DIGITS = re.compile(r"[0-9]{10}")


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit for the first nine digits, or None when no digit is valid.

    Multiply each digit by its weight (10 down to 2), sum, take the remainder mod 11 and subtract
    it from 11. A result of 11 becomes 0; a result of 10 means the number cannot be valid.
    """
    if not _NINE_DIGITS.fullmatch(first_nine):
        raise ValueError("need exactly nine digits")
    total = sum(int(d) * w for d, w in zip(first_nine, _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise_nhs_number(value: object) -> str:
    """Strip spaces and dashes ("943 476 5919" and "943-476-5919" become "9434765919")."""
    if value is None:
        return ""
    return re.sub(r"[\s-]", "", str(value))


def is_valid_nhs_number(value: object) -> bool:
    """True when the value is ten digits whose last digit is the modulus 11 check digit."""
    digits = normalise_nhs_number(value)
    if not _TEN_DIGITS.fullmatch(digits):
        return False
    if len(set(digits)) == 1:  # 0000000000, 1111111111... pass the arithmetic but are never issued
        return False
    return nhs_number_check_digit(digits[:9]) == int(digits[9])


def is_test_range_nhs_number(value: object) -> bool:
    """NHS numbers starting 999 are reserved for testing and never issued to patients."""
    digits = normalise_nhs_number(value)
    return is_valid_nhs_number(digits) and digits.startswith("999")


# ODS code shapes (NHS Organisation Data Service).
_PRACTICE_RE = re.compile(r"^[A-Z][0-9]{5}$")  # GP practice: E82001
_TRUST_RE = re.compile(r"^R[A-Z0-9]{2}$")  # NHS trust: RWG
_PROVIDER_RE = re.compile(r"^[A-Z0-9]{3}$")  # any provider organisation: RWG, NT4, AXX
_SITE_RE = re.compile(r"^[A-Z0-9]{5}$")  # trust site: RWG01
_PCT_RE = re.compile(r"^5[A-Z0-9]{2}$")  # primary care trust: 5P3


# The national pseudo practice codes: V81997 no registered GP practice, V81998 practice code not
# applicable, V81999 practice code not known (NHS Data Dictionary GENERAL MEDICAL PRACTICE CODE
# (PATIENT REGISTRATION) default codes; HES GPPRAC). Shaped like a practice, naming none.
PSEUDO_PRACTICE_CODES = frozenset({"V81997", "V81998", "V81999"})


def is_practice_code(value: object) -> bool:
    """A GP practice ODS code: one letter then five digits (E82001), not a pseudo code."""
    return (
        isinstance(value, str)
        and bool(_PRACTICE_RE.fullmatch(value))
        and value not in PSEUDO_PRACTICE_CODES
    )


# Healthcare Resource Groups. HRG v3.5 (Payment by Results to 2008/09): a letter and two digits
# (H80 primary hip replacement). HRG4 (from 2009/10): two letters, two digits and a letter
# (HB12C). Each version prices its own years only (docs/data.md "HRG versions").
_HRG4_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z]$")
_HRG35_RE = re.compile(r"^[A-Z][0-9]{2}$")
HRG4_FIRST_YEAR = 2009  # the financial year 2009/10
# A&E stayed on the HRG v3.5 A&E tariff in 2009/10 when HRG4 priced the rest: "A&E will
# continue to base charges on the HRG3.5 tariff" (DH, D. Flory to SHA chief executives,
# November 2008, as HSJ reported it); "Tariffs for accident and emergency services will remain
# based on the current tariff structure" (Hansard, written answer, 12 January 2009). The year
# A&E moved to HRG4 was not found: from 2010/11 A&E is judged as the rest (where a year's A&E
# tariff is loaded, its own codes decide: `pbc.analytics.validation.hrg_rules`).
AE_HRG4_FIRST_YEAR = HRG4_FIRST_YEAR + 1


def hrg_version(value: object) -> str | None:
    """ "4" for an HRG4 code, "3.5" for an HRG v3.5 code, None for anything else."""
    if not isinstance(value, str):
        return None
    if _HRG4_RE.fullmatch(value):
        return "4"
    if _HRG35_RE.fullmatch(value):
        return "3.5"
    return None


def hrg_version_for_year(start_year: int, ae: bool = False) -> str:
    """The HRG version the national tariff of the financial year starting in `start_year` uses
    (for A&E when `ae`: v3.5 through 2009/10)."""
    return "4" if start_year >= (AE_HRG4_FIRST_YEAR if ae else HRG4_FIRST_YEAR) else "3.5"


def is_hrg_code(value: object) -> bool:
    """An HRG code of either version (v3.5 to 2008/09, HRG4 from 2009/10)."""
    return hrg_version(value) is not None


def is_trust_code(value: object) -> bool:
    """An NHS trust ODS code: R then two letters or digits (RWG)."""
    return isinstance(value, str) and bool(_TRUST_RE.fullmatch(value))


def is_provider_code(value: object) -> bool:
    """Any provider organisation code: three letters or digits (RWG, NT4); or a 5-character site."""
    return isinstance(value, str) and bool(
        _PROVIDER_RE.fullmatch(value) or _SITE_RE.fullmatch(value)
    )


def is_pct_code(value: object) -> bool:
    """A primary care trust code: 5 then two letters or digits (5P3)."""
    return isinstance(value, str) and bool(_PCT_RE.fullmatch(value))


# Commissioners of every era: primary care trusts (5P3) and care trusts (TAK) 2002-2013,
# clinical commissioning groups (00K) 2013-2022, sub-ICB locations (same shape as CCGs) and
# integrated care boards (QWE) from 2022, NHS England commissioning regions and hubs (X24),
# national commissioners (YDD82); published files also write 3-character codes with "00"
# after them (5P200, 00C00). Sub-ICB locations formed in July 2022 from merged CCGs have new
# 5-character codes, letter digit letter digit letter (D2P2L Black Country, W2U3Z North West
# London, A3A8R North East London, D9Y0V Hampshire and Isle of Wight, M1J4Y Bedfordshire, Luton
# and Milton Keynes): ODS files and NHSBSA's English Prescribing Dataset (PCO_CODE) write them so.
_COMMISSIONER_RE = re.compile(
    r"^((5[A-Z0-9]{2}|TA[A-Z0-9]|Q[A-Z0-9]{2}|[0-9]{2}[A-Z0-9]|X[0-9]{2})(00)?|Y[A-Z0-9]{4}"
    r"|[A-Z][0-9][A-Z][0-9][A-Z])$"
)


def is_commissioner_code(value: object) -> bool:
    """A commissioner's code of any era (PCT, care trust, CCG, sub-ICB, ICB, national)."""
    return isinstance(value, str) and bool(_COMMISSIONER_RE.fullmatch(value))


def normalise_commissioner_code(value: str) -> str:
    """A commissioner's own code: the 5-character published form of a 3-character code loses
    its "00" (5P200 -> 5P2, 00C00 -> 00C); other codes (YDD82) are kept."""
    if len(value) == 5 and value.endswith("00") and is_commissioner_code(value[:3]):
        return value[:3]
    return value


def commissioner_kind(code: str) -> str:
    """What kind of commissioner (or parent) a code names, from its shape (ODS conventions):
    pct (5P3), care_trust (TAK), ccg_or_sub_icb (00K: a CCG to June 2022, a sub-ICB location
    after; D2P2L: a sub-ICB location formed in 2022), sha_or_area_team (Q35), icb (QHM), national (YDD82), hub (X24), region (Y56)."""
    code = normalise_commissioner_code(code)
    if re.fullmatch(r"5[A-Z0-9]{2}", code):
        return "pct"
    if re.fullmatch(r"TA[A-Z0-9]", code):
        return "care_trust"
    if re.fullmatch(r"[0-9]{2}[A-Z0-9]|[A-Z][0-9][A-Z][0-9][A-Z]", code):
        return "ccg_or_sub_icb"
    if re.fullmatch(r"Q[0-9]{2}", code):
        return "sha_or_area_team"
    if re.fullmatch(r"Q[A-Z][A-Z0-9]", code):
        return "icb"
    if re.fullmatch(r"Y[0-9]{2}", code):
        return "region"
    if re.fullmatch(r"Y[A-Z0-9]{4}", code):
        return "national"
    if re.fullmatch(r"X[0-9]{2}", code):
        return "hub"
    return "other"
