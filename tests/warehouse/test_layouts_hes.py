"""HES / SUS activity as published: the artificial HES samples load with no argument (rows read
= loaded + rejected + dropped), episodes roll up to spells by the PbR rules (hand-worked), and
every HES "not known" convention loads as missing or as its meaning, noted, never rejected."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tests.warehouse.real_samples import sample, write_csv

from pbc import codes
from pbc.warehouse.datasets import CHECKS
from pbc.warehouse.ingest import ImportResult, import_file
from pbc.warehouse.layouts import spells

APC_SAMPLE = "hes/artificial_hes_apc_0102_sample.csv"
OP_SAMPLE = "hes/artificial_hes_op_0304_sample.csv"
UNFINISHED_EPISODE = "unfinished episode (EPISTAT 1): HES and PbR count finished episodes only"
UNFINISHED_SPELL = (
    "spell without a discharge date on its last episode (unfinished at the extract, or the "
    "date not known): PbR pays a spell at discharge"
)


def stored(data: Path, dataset: str) -> list[dict[str, Any]]:
    rel = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data}/warehouse/{dataset}/**/*.parquet', "
        "hive_partitioning = true) ORDER BY 1"
    )
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]


def load(dataset: str, path: Path, data: Path) -> tuple[ImportResult, list[dict[str, Any]]]:
    result = import_file(dataset, path, data_dir=data)
    assert result.rows_read == result.rows_loaded + result.rows_rejected + result.rows_dropped
    return result, stored(data, dataset)


def published(relative: str) -> list[dict[str, str]]:
    with open(sample(relative), newline="") as fh:
        return list(csv.DictReader(fh))


def notes(rows: list[dict[str, Any]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for r in rows:
        for part in (r["not_known"] or "").split("; "):
            if part:
                out[part.split("=")[0]] += 1
    return out


def lsoa(row: dict[str, str]) -> str | None:
    """The LSOA a HES row gives: LSOA11, else LSOA01, else SOACODE (None when all are blank)."""
    return next((row[k] for k in ("LSOA11", "LSOA01", "SOACODE") if row.get(k)), None)


def lsoa_pseudo(value: str | None) -> bool:
    """Z99999999 (not known) and the postcode directory's pseudo codes (L99999999, ...)."""
    return bool(value) and value[1:] == "99999999"  # type: ignore[index]


# The samples' artificial values put nearly every row in its own month x provider x commissioner
# partition (about 1,000 folders each): over 5 s on 2 cores, so marked slow.
@pytest.mark.slow
def test_artificial_hes_apc_sample_loads_as_published(tmp_path: Path) -> None:
    result, rows = load("apc", sample(APC_SAMPLE), tmp_path)
    episodes = published(APC_SAMPLE)
    finished = [e for e in episodes if e["EPISTAT"] != "1"]
    # The file has no PROVSPNO: spells are provider x patient x admission date. The artificial
    # values are drawn independently, so no two finished episodes share one.
    spell_keys = {(e["PROCODE3"], e["PSEUDO_HESID"], e["ADMIDATE"]) for e in finished}
    # Unfinished at the extract (no DISDATE) or a not-known date (1801-01-01, invalid).
    unfinished = sum(1 for e in finished if not e["DISDATE"] or e["DISDATE"] < "1850")
    assert (result.layout, result.rows_read, result.rows_rejected) == ("hes_apc", 2075, 0)
    assert len(episodes) - len(finished) == 16 and len(spell_keys) == len(finished) == 2059
    assert result.dropped == {UNFINISHED_EPISODE: 16, UNFINISHED_SPELL: unfinished}
    assert unfinished == 81 and result.rows_loaded == len(rows) == 1978
    # No HRG in the sample: every spell is unpriced; no invoice: nothing charged.
    assert all(r["hrg_code"] is None and r["charged_price"] is None for r in rows)
    assert all(r["patient_pseudonym"].startswith("TEST") and not r["nhs_number"] for r in rows)
    assert all(r["nhs_number_valid"] is None for r in rows)  # pseudonymised: not applicable
    kept = [e for e in finished if e["DISDATE"] > "1850"]
    assert notes(rows) == {
        "STARTAGE": sum(1 for e in kept if e["STARTAGE"].startswith("700")),
        "TRETSPEF": sum(1 for e in kept if e["TRETSPEF"] == "&"),
        "GPPRAC": sum(1 for e in kept if e["GPPRAC"] in ("&", "V81997", "V81998", "V81999")),
        "DISMETH": sum(1 for e in kept if e["DISMETH"] == "9"),
        "OPERTN_4_01": sum(1 for e in kept if e["OPERTN_4_01"].strip() == "&"),
        "ADMIMETH": sum(1 for e in kept if e["ADMIMETH"] in ("98", "99")),
        "SEX": sum(1 for e in kept if e["SEX"] in ("0", "9")),
        # the LSOA: LSOA11 (empty throughout this 2001/02 sample), else LSOA01; Z99999999
        # (not known) is missing and noted under the column that gave it
        "LSOA01": sum(1 for e in kept if not e["LSOA11"] and lsoa_pseudo(e["LSOA01"])),
    }
    assert Counter(r["lsoa_code"] for r in rows) == Counter(
        None if lsoa_pseudo(lsoa(e)) else lsoa(e) for e in kept
    )
    # England and Wales: both LSOA forms pass the check (the Welsh W01 codes too)
    assert {r["lsoa_code"][:3] for r in rows if r["lsoa_code"]} == {"E01", "W01"}
    assert all(r["lsoa_code_valid"] is not False for r in rows)
    assert Counter(r["sex"] for r in rows) == Counter(
        {"1": "M", "2": "F"}.get(e["SEX"]) for e in kept
    )
    pseudo = sum(1 for e in kept if e["GPPRAC"] in ("V81997", "V81998", "V81999"))
    assert sum(1 for r in rows if r["gp_practice_code_valid"] is False) == pseudo == 38


@pytest.mark.slow
def test_artificial_hes_op_sample_loads_as_published(tmp_path: Path) -> None:
    result, rows = load("op", sample(OP_SAMPLE), tmp_path)
    appts = published(OP_SAMPLE)
    assert (result.layout, result.rows_read, result.rows_loaded) == ("hes_op", 1000, 1000)
    assert (result.rows_rejected, result.rows_dropped) == (0, 0)
    assert notes(rows) == {
        "OPERTN_4_01": sum(1 for a in appts if a["OPERTN_4_01"].strip() == "&"),
        "PRIORITY": sum(1 for a in appts if a["PRIORITY"] == "9"),
        "REFSOURC": sum(1 for a in appts if a["REFSOURC"] == "99"),
        "TRETSPEF": sum(1 for a in appts if a["TRETSPEF"] == "&"),
        "FIRSTATT": sum(1 for a in appts if a["FIRSTATT"] == "9"),
        "GPPRAC": sum(1 for a in appts if a["GPPRAC"] in ("&", "V81997", "V81998", "V81999")),
        "SEX": sum(1 for a in appts if a["SEX"] in ("0", "9")),
        "APPTAGE": sum(1 for a in appts if a["APPTAGE"].startswith("700")),  # "7001.0": under one
        "LSOA11": sum(1 for a in appts if lsoa_pseudo(a["LSOA11"])),  # L99999999: Channel Islands
    }
    assert Counter(r["lsoa_code"] for r in rows) == Counter(
        None if lsoa_pseudo(lsoa(a)) else lsoa(a) for a in appts
    )
    by_id = {r["attendance_id"]: r for r in rows}
    for a in appts:
        r = by_id[f"{a['PROCODE3']}:{a['ATTENDID']}"]
        assert r["attendance_date"].isoformat() == a["APPTDATE"]
        age = a["APPTAGE"]
        assert r["age_at_attendance"] == (
            None if not age else 0 if age.startswith("700") else int(float(age))
        )
        assert r["first_attendance"] == (None if a["FIRSTATT"] == "9" else a["FIRSTATT"])


SUS_HEADER = [
    "PROVSPNO", "PSEUDO_HESID", "PROCODE3", "PURCODE", "GPPRAC", "SEX", "STARTAGE", "ADMIDATE",
    "DISDATE", "EPISTART", "EPIORDER", "EPISTAT", "ADMIMETH", "CLASSPAT", "TRETSPEF",
    "DIAG_4_01", "OPERTN_4_01", "DISMETH", "SUSHRG", "SPELDUR",
]  # fmt: skip

# Ten episodes of four spells, written out of order (spell 1's last episode first). Columns as
# SUS_HEADER.
EPISODES = [
    ["1001", "P1", "RWG", "5P200", "E82001", "1", "67", "2009-01-03", "2009-01-12", "2009-01-09", "3", "3", "21", "1", "300", "I214", "-", "1", "EB10Z", "9"],
    ["1001", "P1", "RWG", "5P200", "E82001", "1", "67", "2009-01-03", "", "2009-01-03", "1", "3", "21", "1", "300", "I214", "-", "8", "EB10Z", ""],
    ["1001", "P1", "RWG", "5P200", "E82001", "1", "67", "2009-01-03", "", "2009-01-05", "2", "3", "21", "1", "320", "I219", "K401", "8", "EB10Z", ""],
    ["1002", "P2", "RWG", "5P2", "E82002", "2", "7003", "2009-01-20", "", "2009-01-20", "1", "3", "11", "2", "171", "Q531", "-", "8", "", ""],
    ["1002", "P2", "RWG", "5P2", "E82002", "0", "7003", "2009-01-20", "2009-01-20", "2009-01-20", "2", "3", "11", "2", "171", "Q531", "N111", "1", "LB14Z", "0"],
    ["1003", "P3", "RWG", "5P200", "E82003", "2", "45", "2009-01-25", "2009-02-02", "2009-01-25", "1", "3", "99", "1", "100", "K800", "J183", "1", "GA10B", "8"],
    ["1001", "P4", "RQW", "5P300", "V81999", "1", "81", "2009-01-28", "", "2009-01-28", "1", "3", "12", "1", "110", "M161", "W371", "8", "HB12C", ""],
    ["1001", "P4", "RQW", "5P300", "E82004", "1", "81", "2009-01-28", "", "2009-01-30", "2", "3", "12", "1", "110", "T840", "-", "8", "HB12C", ""],
    ["1001", "P4", "RQW", "5P300", "E82004", "1", "81", "2009-01-28", "", "2009-02-03", "3", "3", "12", "1", "300", "J181", "-", "8", "HB12C", ""],
    ["1001", "P4", "RQW", "5P300", "E82004", "1", "81", "2009-01-28", "2009-02-10", "2009-02-06", "4", "3", "12", "1", "300", "J181", "-", "4", "HB12C", "13"],
]  # fmt: skip

# Each spell worked by hand: admission fields and patient from the first episode (by EPIORDER),
# discharge date and method from the last, procedure if any episode had one, the spell HRG
# SUS wrote on the episodes (spell 2: only on its second), length of stay = discharge -
# admission, "not known" notes of every episode.
SPELLS = {
    "RWG:1001": ("2009-01-03", "2009-01-12", 9, "21", "1", "300", "I214", True, "1", "EB10Z", "M", 67, "5P2", "E82001", None),
    "RWG:1002": ("2009-01-20", "2009-01-20", 0, "11", "2", "171", "Q531", True, "1", "LB14Z", "F", 0, "5P2", "E82002", "SEX=0; STARTAGE=7003"),
    "RWG:1003": ("2009-01-25", "2009-02-02", 8, None, "1", "100", "K800", True, "1", "GA10B", "F", 45, "5P2", "E82003", "ADMIMETH=99"),
    "RQW:1001": ("2009-01-28", "2009-02-10", 13, "12", "1", "110", "M161", True, "4", "HB12C", "M", 81, "5P3", "V81999", "GPPRAC=V81999"),
}  # fmt: skip
SPELL_FIELDS = (
    "admission_date", "discharge_date", "length_of_stay", "admission_method",
    "patient_classification", "treatment_function_code", "primary_diagnosis_code",
    "procedure_flag", "discharge_method", "hrg_code", "sex", "age_on_admission",
    "commissioner_code", "gp_practice_code", "not_known",
)  # fmt: skip


def spell_values(r: dict[str, Any]) -> tuple[object, ...]:
    return tuple(
        r[f].isoformat() if f.endswith("_date") and r[f] is not None else r[f] for f in SPELL_FIELDS
    )


def test_ten_episodes_roll_up_to_four_spells_by_the_pbr_rules(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sus_apc.csv", [SUS_HEADER, *EPISODES])
    result, rows = load("apc", path, tmp_path / "data")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (10, 4, 0)
    assert result.dropped == {spells.BY_NUMBER: 6}
    assert {r["spell_id"]: spell_values(r) for r in rows} == SPELLS


def test_without_a_spell_number_episodes_group_by_patient_provider_and_admission(
    tmp_path: Path,
) -> None:
    header = SUS_HEADER[1:]
    path = write_csv(tmp_path / "hes_apc.csv", [header, *(e[1:] for e in EPISODES)])
    result, rows = load("apc", path, tmp_path / "data")
    assert (result.rows_loaded, result.dropped) == (4, {spells.BY_FALLBACK: 6})
    renamed = {
        "RWG:P1:2009-01-03": "RWG:1001",
        "RWG:P2:2009-01-20": "RWG:1002",
        "RWG:P3:2009-01-25": "RWG:1003",
        "RQW:P4:2009-01-28": "RQW:1001",
    }
    assert {renamed[r["spell_id"]]: spell_values(r) for r in rows} == SPELLS


def _episode(number: int, **changes: str) -> list[str]:
    values = dict(zip(SUS_HEADER, EPISODES[5], strict=True))
    values.update(PROVSPNO=str(number), EPIORDER="1", ADMIMETH="21")
    values.update(changes)
    return [values[h] for h in SUS_HEADER]


# One HES "not known" convention per spell: (changes, field, value stored, note).
CONVENTIONS = [
    ({"SEX": "0"}, "sex", None, "SEX=0"),
    ({"SEX": "9"}, "sex", None, "SEX=9"),
    ({"SEX": "X"}, "sex", None, "SEX=X"),
    ({"STARTAGE": "7001"}, "age_on_admission", 0, "STARTAGE=7001"),
    ({"STARTAGE": "7007"}, "age_on_admission", 0, "STARTAGE=7007"),
    ({"ADMIMETH": "98"}, "admission_method", None, "ADMIMETH=98"),
    ({"ADMIMETH": "99"}, "admission_method", None, "ADMIMETH=99"),
    ({"ADMIMETH": ""}, "admission_method", None, None),
    ({"CLASSPAT": "9"}, "patient_classification", None, "CLASSPAT=9"),
    ({"TRETSPEF": "&"}, "treatment_function_code", None, "TRETSPEF=&"),
    ({"GPPRAC": "&"}, "gp_practice_code", None, "GPPRAC=&"),
    ({"GPPRAC": "V81997"}, "gp_practice_code", "V81997", "GPPRAC=V81997"),
    ({"GPPRAC": "V81998"}, "gp_practice_code", "V81998", "GPPRAC=V81998"),
    ({"DISMETH": "9"}, "discharge_method", "9", "DISMETH=9"),
    ({"OPERTN_4_01": "&\t "}, "procedure_flag", None, "OPERTN_4_01=&"),
    ({"OPERTN_4_01": "-  "}, "procedure_flag", False, None),
    ({"DIAG_4_01": "&"}, "primary_diagnosis_code", None, "DIAG_4_01=&"),
    # Not-known dates: the admission is missing and the stay is the extract's SPELDUR (8).
    ({"ADMIDATE": "1800-01-01"}, "admission_date", None, "ADMIDATE=1800-01-01"),
    ({"ADMIDATE": "1801-01-01"}, "length_of_stay", 8, "ADMIDATE=1801-01-01"),
    ({"PURCODE": "5P2"}, "commissioner_code", "5P2", None),
]


def test_every_not_known_convention_loads_noted_never_rejected(tmp_path: Path) -> None:
    lines = [_episode(2000 + i, **changes) for i, (changes, *_) in enumerate(CONVENTIONS)]
    # A discharge date that is not known leaves the spell without one: dropped (PbR pays at
    # discharge), counted, not rejected.
    lines.append(_episode(2999, DISDATE="1802-01-01"))
    path = write_csv(tmp_path / "conventions.csv", [SUS_HEADER, *lines])
    result, rows = load("apc", path, tmp_path / "data")
    assert (result.rows_rejected, result.rows_loaded) == (0, len(CONVENTIONS))
    assert result.dropped == {UNFINISHED_SPELL: 1}
    by_id = {r["spell_id"]: r for r in rows}
    for i, (_, field, value, note) in enumerate(CONVENTIONS):
        r = by_id[f"RWG:{2000 + i}"]
        assert (r[field], r["not_known"]) == (value, note), (i, field)
        assert r["not_known_valid"] is (None if note is None else False)
    assert by_id["RWG:2011"]["gp_practice_code_valid"] is False  # V81997: not a practice
    assert by_id["RWG:2000"]["gp_practice_code_valid"] is True


def test_hes_ae_layout_reads_department_types_and_disposals(tmp_path: Path) -> None:
    header = ["AEKEY", "PSEUDO_HESID", "PROCODE3", "PURCODE", "GPPRAC", "SEX", "ARRIVALAGE",
              "ARRIVALDATE", "AEDEPTTYPE", "AEATTENDCAT", "AEATTENDDISP", "SUSHRG"]  # fmt: skip
    lines = [
        ["A1", "P1", "RWG", "5P200", "E82001", "1", "34", "2009-01-03", "01", "1", "03", ""],
        ["A2", "P2", "RWG", "5P200", "E82001", "2", "7005", "2009-01-04", "3", "9", "2", "VB09Z"],
        ["A3", "P3", "RWG", "5P200", "E82001", "2", "80", "2009-01-05", "99", "1", "99", ""],
    ]
    result, rows = load("ae", write_csv(tmp_path / "ae.csv", [header, *lines]), tmp_path / "d")
    assert (result.layout, result.rows_loaded, result.rows_rejected) == ("hes_ae", 3, 0)
    got = [
        (r["ae_department_type"], r["ae_attendance_category"], r["ae_attendance_disposal"])
        for r in rows
    ]
    assert got == [("01", "1", "03"), ("03", None, "02"), (None, "1", None)]
    assert [r["not_known"] for r in rows] == [
        None,
        "ARRIVALAGE=7005; AEATTENDCAT=9",
        "AEDEPTTYPE=99; AEATTENDDISP=99",
    ]
    assert [r["hrg_code"] for r in rows] == [None, "VB09Z", None]


def test_hrg_versions_each_valid_code_shape_and_the_year_it_prices() -> None:
    assert [codes.hrg_version(c) for c in ("H80", "HB12C", "HB12", "h80", "H8O", None)] == [
        "3.5", "4", None, None, None, None,
    ]  # fmt: skip
    assert CHECKS["hrg_code"]("H80") and CHECKS["hrg_code"]("HB12C")
    assert not CHECKS["hrg_code"]("HB12")
    assert [codes.hrg_version_for_year(y) for y in (2006, 2008, 2009, 2012)] == [
        "3.5", "3.5", "4", "4",
    ]  # fmt: skip
    # A&E stayed on the v3.5 A&E tariff in 2009/10
    assert [codes.hrg_version_for_year(y, ae=True) for y in (2008, 2009, 2010)] == [
        "3.5", "3.5", "4",
    ]  # fmt: skip


def test_a_2008_09_spell_with_an_hrg_v3_5_code_loads_valid(tmp_path: Path) -> None:
    line = _episode(3000, SUSHRG="H80", ADMIDATE="2008-06-02", DISDATE="2008-06-09")
    result, rows = load("apc", write_csv(tmp_path / "v35.csv", [SUS_HEADER, line]), tmp_path / "d")
    assert result.rows_loaded == 1
    assert (rows[0]["hrg_code"], rows[0]["hrg_code_valid"], rows[0]["length_of_stay"]) == (
        "H80",
        True,
        7,
    )


def test_an_artificial_hes_ae_file_not_among_the_samples_loads_as_published(
    tmp_path: Path,
) -> None:
    path = Path(__file__).resolve().parents[1] / "data" / "hes" / "artificial_hes_ae_0708_head.csv"
    with open(path, newline="") as fh:
        published = list(csv.DictReader(fh))
    result, rows = load("ae", path, tmp_path)
    assert (result.layout, result.rows_read, result.rows_loaded) == ("hes_ae", 60, 60)
    assert (result.rows_rejected, result.rows_dropped) == (0, 0)
    by_id = {r["attendance_id"]: r for r in rows}
    for a in published:
        r = by_id[f"{a['PROCODE3']}:{a['AEKEY']}"]
        assert r["arrival_date"].isoformat() == a["ARRIVALDATE"]
        assert r["ae_department_type"] is None  # AEDEPTTYPE 99 (not known) in this year's file
        assert r["ae_attendance_disposal"] == a["AEATTENDDISP"]
        age = a["ARRIVALAGE"]
        assert r["age_at_attendance"] == (
            None if not age else 0 if age.startswith("700") else int(float(age))
        )
    assert notes(rows) == {
        "AEDEPTTYPE": 60,
        "ARRIVALAGE": sum(1 for a in published if a["ARRIVALAGE"].startswith("700")),
        "GPPRAC": sum(1 for a in published if a["GPPRAC"] == "&"),
        "SEX": sum(1 for a in published if a["SEX"] == "0"),
    }


def test_a_pipe_delimited_extract_with_uk_dates_loads_as_the_csv(tmp_path: Path) -> None:
    """HES / SUS extracts are delivered as pipe-delimited .txt files, some with DD/MM/YYYY
    dates: the same attendances load as from the CSV with ISO dates."""
    with open(sample(OP_SAMPLE), newline="") as fh:
        rows = list(csv.reader(fh))[:31]
    at = rows[0].index("APPTDATE")
    y, m, d = rows[1][at].split("-")
    uk = [rows[0]] + [
        r[:at] + ["/".join(reversed(r[at].split("-")))] + r[at + 1 :] for r in rows[1:]
    ]
    assert uk[1][at] == f"{d}/{m}/{y}"
    csv_path = tmp_path / "op.csv"
    with open(csv_path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    txt_path = tmp_path / "NIC12345_HES_OP_0304.txt"
    with open(txt_path, "w", newline="") as fh:
        csv.writer(fh, delimiter="|").writerows(uk)
    from_csv, csv_rows = load("op", csv_path, tmp_path / "c")
    from_txt, txt_rows = load("op", txt_path, tmp_path / "t")
    assert (from_txt.layout, from_txt.rows_read, from_txt.rows_loaded) == ("hes_op", 30, 30)
    assert from_txt.rows_rejected == from_csv.rows_rejected == 0
    key = "attendance_id"
    assert sorted(txt_rows, key=lambda r: r[key]) == sorted(csv_rows, key=lambda r: r[key])
