"""Correct rows are charged exactly at tariff; the truth file matches the data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from pbc.synth.faults import RULES, truth
from pbc.warehouse.datasets import FAULT_RULE_IDS

PRICING_RULES = {
    "zero_day_elective_as_inpatient",
    "unsupported_excess_bed_days",
    "short_stay_not_applied",
    "op_procedure_as_day_case",
}
ID = {"apc": "spell_id", "op": "attendance_id", "ae": "attendance_id"}


def _oracle_price(
    row: pd.Series,
    tariff: dict[tuple[str, str, str], pd.Series],
    mff: dict[tuple[str, str], int],
    dataset: str,
) -> Decimal:
    """Plain-Python Decimal reference of the pricing rule in docs/data.md."""
    if dataset == "op" and row["attended_or_did_not_attend"] not in ("5", "6"):
        return Decimal("0.00")
    pod = row["point_of_delivery"]
    if pod in ("OPFA", "OPFUP"):
        t = tariff[(row["financial_year"], pod, row["treatment_function_code"])]
    else:
        t = tariff[(row["financial_year"], pod, row["hrg_code"])]
    base = Decimal(int(t["price"])) / 100
    ebd = 0
    if dataset == "apc" and not pd.isna(t["trim_point_days"]):
        ebd = max(0, int(row["length_of_stay"]) - int(t["trim_point_days"]))
    rate = (
        Decimal(0)
        if pd.isna(t["excess_bed_day_rate"])
        else Decimal(int(t["excess_bed_day_rate"])) / 100
    )
    factor = Decimal(mff[(row["financial_year"], row["provider_code"])]) / 10000
    return ((base + ebd * rate) * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_rows_without_a_pricing_fault_are_charged_exactly_at_tariff(
    frames: dict[str, pd.DataFrame],
) -> None:
    tariff = {}
    for _, t in frames["tariff"].iterrows():
        key = (
            t["hrg_code"]
            if t["point_of_delivery"] not in ("OPFA", "OPFUP")
            else t["treatment_function_code"]
        )
        tariff[(t["financial_year"], t["point_of_delivery"], key)] = t
    mff = {
        (m.financial_year, m.provider_code): int(m.market_forces_factor)
        for m in frames["market_forces_factors"].itertuples()
    }
    faults = frames["faults"]
    for dataset in ("apc", "op", "ae"):
        df = frames[dataset]
        mispriced = set(
            faults[(faults["dataset"] == dataset) & faults["rule_id"].isin(PRICING_RULES)]["row_id"]
        )
        correct = df[~df[ID[dataset]].isin(mispriced)]
        assert len(correct) > 100
        for _, row in correct.iterrows():
            expected = _oracle_price(row, tariff, mff, dataset)
            assert Decimal(int(row["charged_price"])) / 100 == expected, (dataset, row[ID[dataset]])
            assert row["charged_point_of_delivery"] == row["point_of_delivery"]
        # rows charged excess bed days beyond the trim point are charged more than tariff
        extra = set(
            faults[
                (faults["dataset"] == dataset)
                & (faults["rule_id"] == "unsupported_excess_bed_days")
            ]["row_id"]
        )
        for _, row in df[df[ID[dataset]].isin(extra)].iterrows():
            assert Decimal(int(row["charged_price"])) / 100 > _oracle_price(
                row, tariff, mff, dataset
            )


def test_truth_file_lists_existing_rows_under_known_rules(frames: dict[str, pd.DataFrame]) -> None:
    f = frames["faults"]
    assert set(f["rule_id"]) <= set(FAULT_RULE_IDS)
    assert set(FAULT_RULE_IDS) == set(RULES)
    for dataset in ("apc", "op", "ae"):
        ids = set(frames[dataset][ID[dataset]])
        listed = set(f[f["dataset"] == dataset]["row_id"])
        assert listed <= ids, dataset
    assert not f.duplicated(["rule_id", "dataset", "row_id"]).any()


def test_every_rule_has_injected_faults_at_the_demo_rate(frames: dict[str, pd.DataFrame]) -> None:
    f = frames["faults"]
    injected = set(f[f["origin"] == "injected"]["rule_id"])
    assert injected >= set(FAULT_RULE_IDS) - {"high_cost_activity"}


def test_injected_rows_have_their_fault(frames: dict[str, pd.DataFrame]) -> None:
    f = frames["faults"]
    apc = frames["apc"].set_index("spell_id")
    op = frames["op"].set_index("attendance_id")
    ids = lambda rule: f[(f["rule_id"] == rule) & (f["origin"] == "injected")]["row_id"]  # noqa: E731
    z = apc.loc[ids("zero_day_elective_as_inpatient")]
    assert (z["length_of_stay"] == 0).all() and (z["charged_point_of_delivery"] == "EL").all()
    s = apc.loc[ids("short_stay_not_applied")]
    assert (s["point_of_delivery"] == "NELST").all() and (
        s["charged_point_of_delivery"] == "NEL"
    ).all()
    c = op.loc[ids("c2c_without_gp_approval")]
    assert (c["referral_source"] == "05").all() and (c["gp_approval"] == False).all()  # noqa: E712
    d = apc.loc[ids("duplicate_spell")]
    assert len(d) > 0
    for sid, row in d.iterrows():
        others = apc[(apc["nhs_number"] == row["nhs_number"]) & (apc.index != sid)]
        assert (
            (others["admission_date"] <= row["admission_date"])
            & (others["discharge_date"] >= row["admission_date"])
        ).any()


def test_truth_is_the_rules_applied_to_the_data(frames: dict[str, pd.DataFrame]) -> None:
    recomputed = truth(
        {k: frames[k] for k in ("apc", "op", "ae")},
        frames["patients"],
        frames["practices"],
        frames["tariff"],
        frames["follow_up_caps"],
        {},
    )
    keys = ["rule_id", "dataset", "row_id"]
    assert recomputed[keys].equals(frames["faults"][keys])


def test_clean_generation_lists_only_natural_faults(clean_frames: dict[str, pd.DataFrame]) -> None:
    f = clean_frames["faults"]
    assert (f["origin"] == "natural").all()
    # natural faults that must occur: patients who left the area, readmissions, costly spells
    assert {"not_registered_in_pct", "emergency_readmission_30d", "high_cost_activity"} <= set(
        f["rule_id"]
    )
    # faults that only injection creates do not occur
    assert not set(f["rule_id"]) & {
        "duplicate_spell",
        "invalid_nhs_number",
        "zero_day_elective_as_inpatient",
        "short_stay_not_applied",
        "c2c_without_gp_approval",
        "op_procedure_as_day_case",
    }
