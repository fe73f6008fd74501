"""The rules against the generator's truth file on the test-scale synthetic data (DuckDB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest

from pbc import synth
from pbc.analytics import validation as v
from pbc.warehouse.datasets import FAULT_RULE_IDS


@pytest.fixture(scope="session")
def synthetic() -> dict[str, pa.Table]:
    return synth.generate(synth.demo_scale("test"))


@pytest.fixture(scope="module")
def loaded(synthetic: dict[str, pa.Table]) -> tuple[Any, v.Inputs, ibis.Table]:
    con = ibis.duckdb.connect()
    tables = {name: con.create_table(name, synthetic[name]) for name in v.INPUT_DATASETS}
    return con, v.Inputs(**tables), con.create_table("faults", synthetic["faults"])


@pytest.fixture(scope="module")
def whole(loaded: tuple[Any, v.Inputs, ibis.Table]) -> dict[str, v.RuleScore]:
    con, inputs, truth = loaded
    return {s.id: s for s in v.score(con, inputs, truth)}


def test_every_rule_meets_the_bar(whole: dict[str, v.RuleScore]) -> None:
    scores = whole
    assert set(scores) == set(FAULT_RULE_IDS)
    print("\n" + v.table_text(list(scores.values())))
    for rule_id, s in scores.items():
        assert s.truth > 0, f"{rule_id}: the truth file lists nothing to find"
        assert s.recall is not None and s.recall >= 0.98, (rule_id, s)
        assert s.precision is not None and s.precision >= 0.95, (rule_id, s)
    # before April 2011 readmissions are information: found, but no money at stake
    readmissions = scores["emergency_readmission_30d"]
    assert readmissions.findings == readmissions.truth
    assert readmissions.amount == Decimal("0.00")
    assert scores["high_cost_activity"].amount > Decimal("1000000")


def test_a_broken_rule_scores_badly(loaded: tuple[Any, v.Inputs, ibis.Table]) -> None:
    """The scoring notices a rule that flags the wrong rows (the threshold set too low)."""
    con, inputs, truth = loaded
    lax = v.ValidationSettings(high_cost_threshold=Decimal("1000.00"))
    (s,) = v.score(con, inputs, truth, lax, rule_ids=["high_cost_activity"])
    assert s.recall == 1.0
    assert s.precision is not None and s.precision < 0.5


def test_score_for_one_month(
    loaded: tuple[Any, v.Inputs, ibis.Table], whole: dict[str, v.RuleScore]
) -> None:
    con, inputs, truth = loaded
    month = dt.date(2008, 1, 1)
    scores = {
        s.id: s for s in v.score(con, inputs, truth, month=month, rule_ids=["invalid_nhs_number"])
    }
    assert 0 < scores["invalid_nhs_number"].truth < whole["invalid_nhs_number"].truth
    assert scores["invalid_nhs_number"].recall == 1.0
    findings = con.execute(v.find(inputs, month=month, rule_ids=["invalid_nhs_number"]))
    assert set(findings["month"].astype(str).str[:10]) == {"2008-01-01"}
