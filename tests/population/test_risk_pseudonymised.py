"""Risk on a pseudonymised HES / SUS extract (no NHS numbers): the hospital-user cohort by
pseudonym, the activity rule and baseline evaluated on it, through `pbc risk pseudonymised`
(aggregate figures only), on spells loaded through the hes_apc layout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pbc.cli import app
from pbc.warehouse.ingest import import_file

HEADER = [
    "PROVSPNO", "PSEUDO_HESID", "PROCODE3", "PURCODE", "GPPRAC", "SEX", "STARTAGE", "ADMIDATE",
    "DISDATE", "EPISTART", "EPIORDER", "EPISTAT", "ADMIMETH", "CLASSPAT", "TRETSPEF",
    "DIAG_4_01", "OPERTN_4_01", "DISMETH", "SUSHRG", "SPELDUR",
]  # fmt: skip


def spell(
    number: str, who: str, practice: str, admitted: str, discharged: str, method: str
) -> list[str]:
    return [number, who, "RWG", "5P3", practice, "1", "70", admitted, discharged, admitted, "1",
            "3", method, "1", "300", "J18.9", "-", "1", "", ""]  # fmt: skip


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.WAREHOUSE_DIR = tmp_path / "warehouse"  # type: ignore[attr-defined]
    return tmp_path


@pytest.mark.django_db
def test_rule_and_baseline_on_the_hospital_users_of_a_pseudonymised_extract(
    own_data: Path,
) -> None:
    # Outcome year 2008/09 (index date 1 April 2008). X: two emergency admissions the year
    # before and one after (flagged by the rule, admitted); Y: one elective spell (not flagged,
    # not admitted); Z: one emergency admission before, one after (not flagged, admitted).
    rows = [
        spell("1", "X", "E82001", "2007-06-01", "2007-06-04", "21"),
        spell("2", "X", "E82001", "2008-01-10", "2008-01-12", "22"),
        spell("3", "X", "E82001", "2008-06-01", "2008-06-02", "21"),
        spell("4", "Y", "E82002", "2007-09-01", "2007-09-01", "11"),
        spell("5", "Z", "E82002", "2007-05-01", "2007-05-03", "21"),
        spell("6", "Z", "E82002", "2008-10-01", "2008-10-05", "2A"),
    ]
    path = own_data / "sus_apc.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    loaded = import_file("apc", path, data_dir=own_data)
    assert (loaded.layout, loaded.rows_loaded, loaded.rows_rejected) == ("hes_apc", 6, 0)
    result = CliRunner().invoke(app, ["risk", "pseudonymised", "--outcome-year", "2008/09"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert (got["index_date"], got["cohort"], got["admitted"]) == ("2008-04-01", 3, 2)
    assert (got["rule_flagged"], got["rule_ppv"], got["rule_sensitivity"]) == (1, 1.0, 0.5)
    assert got["baseline_auc"] == 1.0  # X (2) and Z (1) above Y (0)
    assert got["flagged_by_practice"] == {"E82001": 1}
    assert "X" not in result.stdout  # aggregate figures only: no pseudonym is printed
