"""`pbc synth` writes hospital activity as a commissioner receives it: HES / SUS extracts in
HES field names (consultant episodes with PROVSPNO for admitted care) and the providers' charges
as SLAM invoice lines. Each file loads with `pbc import DATASET FILE --json` and no other
argument through its published layout, nothing rejected (rows read = loaded + rejected +
dropped), and the warehouse then holds what the generator made: the spells, attendances and
charges field for field."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from pbc.cli import app
from pbc.synth import SynthConfig, generate_frames, write
from pbc.synth.generator import file_name
from pbc.synth.hes import SECOND_EPISODE_SHARE

runner = CliRunner()
CONFIG = SynthConfig(
    population=500, seed=5, start="2008-04", end="2008-12", localities=("dacorum",), fault_rate=0.05
)
LAYOUT = {"apc": "hes_apc", "op": "hes_op", "ae": "hes_ae", "invoice_lines": "slam_invoice"}
EPISODE_MERGED = "episode rolled into its spell (provider and spell number, PROVSPNO)"


def stored(data: Path, dataset: str, key: str) -> dict[str, dict[str, Any]]:
    rel = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data}/warehouse/{dataset}/**/*.parquet', "
        "hive_partitioning = true)"
    )
    rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    return {r[key]: r for r in rows}


def value(v: Any) -> Any:
    """A frame's missing value (None, NaN, NA) as the warehouse's None."""
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def day(value: Any) -> dt.date | None:
    return None if pd.isna(value) else dt.date(1970, 1, 1) + dt.timedelta(days=int(value))


@pytest.fixture
def own_data(settings: object, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"  # type: ignore[attr-defined]
    return tmp_path / "data"


@pytest.mark.slow  # about 10 s on 2 cores: four imports through the published layouts
@pytest.mark.django_db
def test_synth_activity_and_invoices_load_through_the_published_layouts(
    own_data: Path, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    written = write(files, fmt="parquet", config=CONFIG)
    frames = generate_frames(CONFIG)
    episodes = len((files / file_name("apc", "parquet")).read_text().splitlines()) - 1
    assert written["apc"] < episodes  # some spells have two consultant episodes

    records = {}
    for dataset in ("apc", "op", "ae", "invoice_lines"):
        path = files / file_name(dataset, "parquet")
        assert path.suffix == ".csv"
        result = runner.invoke(app, ["import", dataset, str(path), "--json"])
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        records[dataset] = record
        assert record["status"] == "loaded" and record["layout"] == LAYOUT[dataset]
        assert record["rows_read"] == (
            record["rows_loaded"] + record["rows_rejected"] + record["rows_dropped"]
        )
        assert record["rows_rejected"] == 0
        assert record["rows_loaded"] == written[dataset] == len(frames[dataset])

    # the only rows not loaded from the APC extract are the second episodes, rolled into their
    # spells: about SECOND_EPISODE_SHARE of the spells of two nights or more
    apc_frame = frames["apc"]
    assert records["apc"]["rows_read"] == episodes
    assert records["apc"]["rows_dropped"] == episodes - len(apc_frame)
    assert records["apc"].get("dropped", {EPISODE_MERGED: episodes - len(apc_frame)}) == {
        EPISODE_MERGED: episodes - len(apc_frame)
    }
    long_stays = int((apc_frame["length_of_stay"] >= 2).sum())
    assert 0.15 * long_stays < episodes - len(apc_frame) < 0.35 * long_stays
    assert SECOND_EPISODE_SHARE == 0.25

    # every spell as the generator made it: the first episode's admission and the last
    # episode's discharge, the spell's length of stay, procedure and HRG
    apc = stored(own_data, "apc", "spell_id")
    assert set(apc) == set(apc_frame["spell_id"])
    for r in apc_frame.to_dict("records"):
        s = apc[r["spell_id"]]
        assert (s["provider_code"], s["commissioner_code"], s["gp_practice_code"]) == (
            r["provider_code"], r["commissioner_code"], r["gp_practice_code"],
        )  # fmt: skip
        assert (s["nhs_number"] or "") == r["nhs_number"]
        assert (s["sex"], s["age_on_admission"]) == (r["sex"], r["age_on_admission"])
        assert (s["admission_date"], s["discharge_date"], s["length_of_stay"]) == (
            day(r["admission_date"]), day(r["discharge_date"]), r["length_of_stay"],
        )  # fmt: skip
        assert (s["admission_method"], s["patient_classification"], s["discharge_method"]) == (
            r["admission_method"], r["patient_classification"], r["discharge_method"],
        )  # fmt: skip
        assert (s["treatment_function_code"], s["primary_diagnosis_code"]) == (
            r["treatment_function_code"], r["primary_diagnosis_code"],
        )  # fmt: skip
        assert (s["procedure_flag"], s["hrg_code"]) == (r["procedure_flag"], r["hrg_code"])
        assert s["not_known"] is None and s["charged_price"] is None

    # outpatients keep the local referral-management columns (GP approval, referral)
    op = stored(own_data, "op", "attendance_id")
    for r in frames["op"].to_dict("records"):
        o = op[r["attendance_id"]]
        assert (o["first_attendance"], o["attended_or_did_not_attend"]) == (
            r["first_attendance"], r["attended_or_did_not_attend"],
        )  # fmt: skip
        assert (o["referral_source"], o["priority_type"], o["procedure_flag"]) == (
            r["referral_source"], r["priority_type"], r["procedure_flag"],
        )  # fmt: skip
        assert (o["gp_approval"], o["referral_id"]) == (
            value(r["gp_approval"]), value(r["referral_id"]),
        )  # fmt: skip

    ae = stored(own_data, "ae", "attendance_id")
    for r in frames["ae"].to_dict("records"):
        a = ae[r["attendance_id"]]
        assert (a["arrival_date"], a["ae_department_type"], a["ae_attendance_disposal"]) == (
            day(r["arrival_date"]), r["ae_department_type"], r["ae_attendance_disposal"],
        )  # fmt: skip

    # one invoice line per spell and attendance, naming it as the provider knows it, with the
    # charge the generator made (DNAs at £0.00)
    lines = stored(own_data, "invoice_lines", "activity_id")
    for name in ("apc", "op", "ae"):
        df = frames[name]
        ids = df["spell_id" if name == "apc" else "attendance_id"]
        for r, key in zip(df.to_dict("records"), ids, strict=True):
            line = lines[key.split(":", 1)[1]]
            assert line["provider_code"] == r["provider_code"]
            assert line["point_of_delivery"] == r["charged_point_of_delivery"]
            assert line["hrg_code"] == value(r["charged_hrg_code"])
            assert line["excess_bed_days"] == r["charged_excess_bed_days"]
            assert line["market_forces_factor"] == Decimal(r["market_forces_factor"]) / 10_000
            assert line["price"] == Decimal(r["charged_price"]) / 100
