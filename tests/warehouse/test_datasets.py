"""The data contract itself: every dataset well formed, checks named, rule ids stable."""

from __future__ import annotations

import pytest

from pbc.warehouse.datasets import ACTIVITY_DATASETS, CHECKS, DATASETS, FAULT_RULE_IDS, dataset

CHARGED = (
    "commissioner_code",
    "charged_point_of_delivery",
    "charged_hrg_code",
    "charged_excess_bed_days",
    "market_forces_factor",
    "charged_price",
)


def test_every_dataset_is_well_formed() -> None:
    for name, ds in DATASETS.items():
        assert ds.name == name
        assert len(set(ds.names)) == len(ds.names), f"{name}: duplicate field"
        assert set(ds.key) <= set(ds.names), f"{name}: key not among fields"
        if ds.period_field is not None:
            assert ds.field(ds.period_field).type == "date"
            assert ds.field(ds.period_field).required
        if ds.partition_by_provider:
            assert ds.field("provider_code").required
        for f in ds.fields:
            assert f.check is None or f.check in CHECKS, f"{name}.{f.name}: unknown check"


def test_activity_rows_carry_what_the_provider_charged_and_a_stable_key() -> None:
    for name in ACTIVITY_DATASETS:
        ds = DATASETS[name]
        assert set(CHARGED) <= set(ds.names), name
        assert ds.field("charged_price").type == "decimal"
        assert (ds.field("charged_price").precision, ds.field("charged_price").scale) == (14, 2)
        assert ds.field("market_forces_factor").scale == 4
        assert len(ds.key) == 1 and ds.field(ds.key[0]).required


def test_nhs_number_is_checked_not_required_in_activity() -> None:
    # invalid or missing NHS numbers are stored and flagged, never rejected
    for name in ACTIVITY_DATASETS:
        f = DATASETS[name].field("nhs_number")
        assert f.check == "nhs_number" and not f.required
    assert CHECKS["nhs_number"]("9434765919")
    assert not CHECKS["nhs_number"]("9434765918")


def test_named_checks() -> None:
    assert CHECKS["hrg_code"]("HB12C") and not CHECKS["hrg_code"]("HB12")
    assert CHECKS["treatment_function_code"]("110") and not CHECKS["treatment_function_code"]("11")
    assert CHECKS["icd10_code"]("I21.9") and CHECKS["icd10_code"]("R55X")
    assert not CHECKS["icd10_code"]("21.9")
    assert CHECKS["bnf_code"]("0212000B0AAABAB") and not CHECKS["bnf_code"]("0212")
    assert CHECKS["gp_practice_code"]("E82601") and CHECKS["pct_code"]("5P3")


def test_commissioner_codes_of_every_era_are_valid() -> None:
    # PCT, care trust, national commissioner, CCG, sub-ICB, ICB, NHS England hub; 5-character
    # forms of 3-character codes
    for code in ("5P3", "TAK", "YDD82", "00K", "15N", "QWE", "X24", "5P200", "00C00"):
        assert CHECKS["commissioner_code"](code), code
    for code in ("", "5P", "E82001", "RWG", "ALL", "5P3001", "YDD8"):
        assert not CHECKS["commissioner_code"](code), code


def test_aggregate_return_codes() -> None:
    assert all(CHECKS["rtt_treatment_function_code"](c) for c in ("100", "502", "X01", "X06"))
    assert not any(CHECKS["rtt_treatment_function_code"](c) for c in ("IP100", "C_999", "X1"))
    for code in ("RF4", "AD913", "NLO01", "Y02696", "F84747", "8J094"):
        assert CHECKS["ods_code"](code), code
    for code in ("RF", "RF4A", "F847470", "rf4"):
        assert not CHECKS["ods_code"](code), code


def test_rule_ids_are_the_truth_file_code_list() -> None:
    assert DATASETS["faults"].field("rule_id").codes == frozenset(FAULT_RULE_IDS)
    assert len(FAULT_RULE_IDS) == 13


def test_unknown_dataset_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="apc"):
        dataset("nope")
