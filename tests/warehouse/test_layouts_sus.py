"""SUS activity as a commissioner receives it from the NCDR (the SUS Extract Mart tables and
the ECDS, in their column names): each layout loads a small file in its published form with
exact counts and meanings, and a bad cell is quarantined naming the file, row and field."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
from tests.warehouse.real_samples import write_csv

from pbc.warehouse.ingest import ImportResult, import_file


def load(dataset: str, path: Path, data: Path) -> tuple[ImportResult, dict[str, dict[str, Any]]]:
    result = import_file(dataset, path, data_dir=data)
    assert result.rows_read == result.rows_loaded + result.rows_rejected + result.rows_dropped
    rel = duckdb.connect().sql(
        f"SELECT * FROM read_parquet('{data}/warehouse/{dataset}/**/*.parquet', "
        "hive_partitioning = true)"
    )
    rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    key = "spell_id" if dataset == "apc" else "attendance_id"
    return result, {r[key]: r for r in rows}


def quarantined(result: ImportResult) -> list[tuple[str, str, str]]:
    assert result.quarantine_path is not None
    with open(result.quarantine_path, newline="", encoding="utf-8") as fh:
        return [(r["source_row"], r["field"], r["value"]) for r in csv.DictReader(fh)]


APCS = [
    "APCS_Ident", "Hospital_Spell_No", "Der_Pseudo_NHS_Number", "Der_Provider_Code",
    "Der_Provider_Site_Code", "GP_Practice_Code", "Der_Commissioner_Code", "Sex",
    "Age_At_Start_of_Spell_SUS", "Admission_Date", "Discharge_Date", "Der_Spell_LoS",
    "Admission_Method", "Patient_Classification", "Der_Admit_Treatment_Function_Code",
    "Der_Primary_Diagnosis_Code", "Der_Primary_Procedure_Code", "Discharge_Method",
    "Spell_Core_HRG_SUS", "Der_Financial_Year", "Der_Activity_Month",
]  # fmt: skip


def test_sus_apcs_spells_load_with_their_spell_hrg(tmp_path: Path) -> None:
    rows = [
        APCS,
        # A 2008/09 emergency spell in the NCDR's 5-character codes and datetime form.
        ["1001", "SP1", "P1", "RWG00", "RWG01", "E82001", "5P200", "2", "67",
         "2009-01-03 00:00:00.000", "2009-01-10 00:00:00.000", "7", "21", "1", "300", "J189",
         "-", "1", "DZ11C", "2008/09", "200901"],
        # No spell number: the NCDR's spell id; UK dates; SUS's not-known sex and infant age.
        ["1002", "", "P2", "RWG", "RWG01", "E82001", "5P2", "0", "7003", "20/01/2009",
         "21/01/2009", "1", "11", "2", "101", "N200", "M459", "1", "LB36Z", "2008/09",
         "200901"],
        # Not yet discharged: dropped, counted.
        ["1003", "SP3", "P3", "RWG", "RWG01", "E82001", "5P2", "1", "80", "2009-01-25", "",
         "", "21", "1", "300", "I10", "-", "", "", "2008/09", "200901"],
        # A date that is not one: quarantined naming row and field.
        ["1004", "SP4", "P4", "RWG", "RWG01", "E82001", "5P2", "1", "80", "2009-02-30",
         "2009-03-02", "1", "21", "1", "300", "I10", "-", "1", "", "2008/09", "200903"],
    ]  # fmt: skip
    result, spells = load("apc", write_csv(tmp_path / "apcs_200901.csv", rows), tmp_path / "d")
    assert result.layout == "sus_apcs" and result.ignored_columns == ()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 1)
    assert result.dropped == {
        "spell not discharged (no Discharge_Date): PbR pays a spell at discharge": 1
    }
    assert quarantined(result) == [("5", "admission_date", "2009-02-30")]
    assert result.source_name == "apcs_200901.csv"
    one, two = spells["RWG:SP1"], spells["RWG:1002"]
    assert (one["provider_code"], one["commissioner_code"], one["patient_pseudonym"]) == (
        "RWG", "5P2", "P1",
    )  # fmt: skip
    assert (one["length_of_stay"], one["admission_method"], one["procedure_flag"]) == (
        7, "21", False,
    )  # fmt: skip
    assert (one["hrg_code"], one["hrg_code_valid"], one["not_known"]) == ("DZ11C", True, None)
    assert str(one["discharge_date"]) == "2009-01-10" and one["sex"] == "F"
    assert (two["sex"], two["age_on_admission"], two["procedure_flag"]) == (None, 0, True)
    assert two["not_known"] == "Age_At_Start_of_Spell_SUS=7003; Sex=0"  # merged: sorted
    assert (two["patient_classification"], two["length_of_stay"]) == ("2", 1)


OPA = [
    "OPA_Ident", "Der_Pseudo_NHS_Number", "Der_Provider_Code", "GP_Practice_Code",
    "Der_Commissioner_Code", "Sex", "Age_at_Start_of_Episode_SUS", "Appointment_Date",
    "First_Attendance", "Attendance_Status", "Treatment_Function_Code", "Main_Specialty_Code",
    "OPA_Referral_Source", "Priority_Type", "Der_Primary_Procedure_Code", "Core_HRG", "SUS_HRG",
    "Der_Financial_Year", "Der_Activity_Month",
]  # fmt: skip


def test_sus_opa_attendances_load(tmp_path: Path) -> None:
    rows = [
        OPA,
        ["5001", "P1", "RWG", "E82001", "5P2", "1", "54", "2009-01-05", "1", "5", "101",
         "101", "03", "2", "", "WF01B", "WF01B", "2008/09", "200901"],
        ["5002", "P2", "RWG", "V81999", "5P2", "2", "30", "2009-01-06", "2", "3", "300", "300",
         "99", "1", "", "WF01A", "", "2008/09", "200901"],
        ["5003", "P3", "RWG", "E82001", "5P2", "2", "30", "06/01/2009", "X1", "5", "300",
         "300", "03", "1", "", "", "", "2008/09", "200901"],
    ]  # fmt: skip
    result, attendances = load("op", write_csv(tmp_path / "opa.csv", rows), tmp_path / "d")
    assert result.layout == "sus_opa" and result.ignored_columns == ()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert quarantined(result) == [("4", "first_attendance", "X1")]
    first, dna = attendances["RWG:5001"], attendances["RWG:5002"]
    assert (first["first_attendance"], first["attended_or_did_not_attend"]) == ("1", "5")
    assert (first["referral_source"], first["hrg_code"], first["not_known"]) == (
        "03", "WF01B", None,
    )  # fmt: skip
    assert (dna["attended_or_did_not_attend"], dna["referral_source"]) == ("3", None)
    assert dna["not_known"] == "GP_Practice_Code=V81999; OPA_Referral_Source=99"
    assert dna["gp_practice_code"] == "V81999" and dna["gp_practice_code_valid"] is False


AEA = [
    "AEA_Ident", "AEA_Attendance_Number", "Der_Pseudo_NHS_Number", "Der_Provider_Code",
    "GP_Practice_Code", "Der_Commissioner_Code", "Sex", "Der_Age_At_CDS_Activity_Date",
    "Arrival_Date", "Arrival_Time", "AEA_Department_Type", "AEA_Attendance_Category",
    "AEA_Attendance_Disposal", "HRG_Code", "Der_Financial_Year",
]  # fmt: skip


def test_sus_aea_attendances_of_2008_load(tmp_path: Path) -> None:
    rows = [
        AEA,
        ["9001", "A123", "P1", "RWG", "E82001", "5P2", "1", "34", "2008-06-03", "10:20", "1",
         "1", "3", "VB09Z", "2008/09"],
        ["9002", "", "P2", "RWG", "E82001", "5P2", "2", "7005", "2008-06-04", "11:00", "99",
         "2", "02", "", "2008/09"],
        ["9003", "A125", "P3", "RWG", "E82001", "5P2", "2", "40", "2008-06-31", "11:00", "1",
         "1", "3", "", "2008/09"],
    ]  # fmt: skip
    result, attendances = load("ae", write_csv(tmp_path / "aea.csv", rows), tmp_path / "d")
    assert result.layout == "sus_aea" and result.ignored_columns == ()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert quarantined(result) == [("4", "arrival_date", "2008-06-31")]
    by_number, by_ident = attendances["RWG:A123"], attendances["RWG:9002"]
    assert (by_number["ae_department_type"], by_number["ae_attendance_disposal"]) == ("01", "03")
    assert (by_number["hrg_code"], by_number["ae_attendance_category"]) == ("VB09Z", "1")
    assert (by_ident["ae_department_type"], by_ident["age_at_attendance"]) == (None, 0)
    assert by_ident["not_known"] == "Der_Age_At_CDS_Activity_Date=7005; AEA_Department_Type=99"


ECDS = [
    "EC_Ident", "Der_Pseudo_NHS_Number", "Der_Provider_Code", "Der_Provider_Site_Code",
    "GP_Practice_Code", "Der_Commissioner_Code", "Sex", "Age_At_Arrival", "Arrival_Date",
    "Der_EC_Arrival_Date_Time", "EC_Department_Type", "EC_AttendanceCategory",
    "EC_Discharge_Status_SNOMED_CT", "SUS_HRG_Code", "Der_Dupe_Flag", "Finished_Indicator",
]  # fmt: skip


def test_sus_ecds_attendances_load_duplicates_and_unfinished_dropped(tmp_path: Path) -> None:
    rows = [
        ECDS,
        ["7001", "P1", "RWG", "RWG01", "E82001", "15E00", "1", "34", "2023-06-03",
         "2023-06-03 10:20:00", "01", "1", "182992009", "VB09Z", "0", "1"],
        ["7002", "P1", "RWG", "RWG01", "E82001", "15E", "1", "34", "2023-06-03",
         "2023-06-03 10:20:00", "01", "1", "182992009", "VB09Z", "1", "1"],
        ["7003", "P2", "RWG", "RWG01", "E82001", "QHL", "2", "70", "2023-06-04",
         "2023-06-04 10:20:00", "03", "4", "", "", "0", "0"],
        ["7004", "P3", "RWG", "RWG01", "E82001", "15E", "2", "70", "", "",
         "01", "1", "", "", "0", "1"],
    ]  # fmt: skip
    result, attendances = load("ae", write_csv(tmp_path / "ecds.csv", rows), tmp_path / "d")
    assert result.layout == "sus_ecds" and result.ignored_columns == ()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 1, 1)
    assert result.dropped == {
        "duplicate record (Der_Dupe_Flag 1: SUS marks it a copy of another attendance)": 1,
        "attendance not finished at the extract (Finished_Indicator 0)": 1,
    }
    assert quarantined(result) == [("5", "arrival_date", "")]
    (row,) = attendances.values()
    assert (row["attendance_id"], row["commissioner_code"], row["ae_department_type"]) == (
        "RWG:7001", "15E", "01",
    )  # fmt: skip
    assert row["ae_attendance_category"] is None  # ECDS's own code list: not loaded
    assert (row["hrg_code"], str(row["arrival_date"])) == ("VB09Z", "2023-06-03")


PBR_APC = [
    "Generated Record ID", "Hospital Provider Spell No", "Episode Number", "Episode Start Date",
    "Organisation Code (Code Of Provider)", "Organisation Code (Code Of Commissioner)",
    "GP Practice Code (Derived)", "Gender Code", "Age At CDS Activity Date",
    "Start Date (Hospital Provider Spell)", "End Date (Hospital Provider Spell)",
    "Admission Method (Hospital Provider Spell)", "Patient Classification",
    "Treatment Function Code", "Primary Diagnosis Code", "Primary Procedure Code",
    "Discharge Method (Hospital Provider Spell)", "Core HRG (Calculated)", "Spell Core HRG",
    "Spell In PbR/Not In PbR", "PbR Final Tariff",
]  # fmt: skip


def test_sus_pbr_extract_episodes_roll_up_to_spells(tmp_path: Path) -> None:
    """Two episodes of spell S1 (hand-worked: the first episode's admission and treatment
    function, the last one's discharge method, a procedure in either, the spell HRG, 7 days),
    a one-episode day case, a spell not yet discharged, and a bad admission date."""
    rows = [
        PBR_APC,
        ["g1", "S1", "1", "2009-01-03", "RWG00", "5P200", "E82001", "1", "67", "2009-01-03",
         "2009-01-10", "21", "1", "300", "J189", "-", "", "DZ11C", "DZ11C", "PbR", "2107"],
        ["g2", "S1", "2", "2009-01-06", "RWG00", "5P200", "E82001", "1", "67", "2009-01-03",
         "2009-01-10", "21", "1", "320", "I209", "K401", "1", "EB10Z", "DZ11C", "PbR", "2107"],
        ["g3", "S2", "1", "2009-01-20", "RWG", "5P2", "E82001", "2", "7002", "20/01/2009",
         "20/01/2009", "11", "2", "101", "N200", "M459", "1", "LB36Z", "LB36Z", "PbR", "598"],
        ["g4", "S3", "1", "2009-01-25", "RWG", "5P2", "E82001", "2", "80", "2009-01-25", "",
         "21", "1", "300", "I10", "-", "", "", "", "", ""],
        ["g5", "S4", "1", "2009-13-01", "RWG", "5P2", "E82001", "2", "80", "2009-13-01",
         "2009-01-30", "21", "1", "300", "I10", "-", "1", "", "", "", ""],
    ]  # fmt: skip
    result, spells = load("apc", write_csv(tmp_path / "pbr_apc.csv", rows), tmp_path / "d")
    assert result.layout == "sus_pbr_apc" and result.ignored_columns == ()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 2, 1)
    assert sorted(result.dropped.values()) == [1, 1]  # one episode merged, one unfinished
    # The stay cannot be computed without the date: both named, one row rejected.
    assert quarantined(result) == [
        ("6", "admission_date", "2009-13-01"),
        ("6", "length_of_stay", ""),
    ]
    s1, s2 = spells["RWG:S1"], spells["RWG:S2"]
    assert (str(s1["admission_date"]), str(s1["discharge_date"]), s1["length_of_stay"]) == (
        "2009-01-03", "2009-01-10", 7,
    )  # fmt: skip
    assert (s1["treatment_function_code"], s1["procedure_flag"], s1["discharge_method"]) == (
        "300", True, "1",
    )  # fmt: skip
    assert (s1["hrg_code"], s1["commissioner_code"], s1["primary_diagnosis_code"]) == (
        "DZ11C", "5P2", "J189",
    )  # fmt: skip
    assert (s2["length_of_stay"], s2["age_on_admission"], s2["sex"], s2["hrg_code"]) == (
        0, 0, "F", "LB36Z",
    )  # fmt: skip
    assert s2["not_known"] == "Age At CDS Activity Date=7002"


PBR_OP = [
    "Attendance Identifier", "Organisation Code (Code Of Provider)",
    "Organisation Code (Code Of Commissioner)", "GP Practice Code (Derived)", "Gender Code",
    "Age", "Appointment Date", "First Attendance", "Attended Or Did Not Attend",
    "Treatment Function Code", "Source Of Referral For Outpatients", "Priority Type",
    "Primary Procedure Code", "Core HRG", "HRG Used For Tariff", "PbR Final Tariff",
]  # fmt: skip


def test_sus_pbr_extract_outpatient_attendances_load(tmp_path: Path) -> None:
    rows = [
        PBR_OP,
        ["A1", "RWG", "5P2", "E82001", "1", "54", "2009-01-05", "1", "5", "101", "03", "2",
         "", "WF01B", "WF01B", "112"],
        ["A2", "RWG", "5P2", "E82001", "2", "61", "2009-01-06", "2", "5", "330", "03", "1",
         "S068", "JC43B", "JC43B", "98"],
        ["A3", "RWG", "5P2", "E82001", "2", "61", "2009-01-06", "2", "8", "330", "03", "1",
         "", "", "", ""],
    ]  # fmt: skip
    result, attendances = load("op", write_csv(tmp_path / "pbr_op.csv", rows), tmp_path / "d")
    assert result.layout == "sus_pbr_op" and result.ignored_columns == ()
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 2, 1)
    assert quarantined(result) == [("4", "attended_or_did_not_attend", "8")]
    first, procedure = attendances["RWG:A1"], attendances["RWG:A2"]
    assert (first["first_attendance"], first["procedure_flag"], first["hrg_code"]) == (
        "1", None, "WF01B",
    )  # fmt: skip
    assert (procedure["procedure_flag"], procedure["hrg_code"]) == (True, "JC43B")


def test_sql_server_null_text_reads_as_an_empty_cell(tmp_path: Path) -> None:
    """An extract saved from SQL Server writes NULL for a null: a spell without a spell
    number takes the NCDR's id, its empty codes load empty (not flagged, not rejected), and a
    spell whose discharge date is NULL is not yet discharged (dropped and counted)."""
    rows = [
        APCS,
        ["1006", "NULL", "P6", "RWG", "NULL", "NULL", "5P2", "1", "50", "2009-01-05",
         "2009-01-07", "NULL", "21", "1", "NULL", "NULL", "NULL", "1", "NULL", "2008/09",
         "200901"],
        ["1007", "NULL", "P7", "RWG", "NULL", "E82001", "5P2", "1", "50", "2009-01-05", "NULL",
         "NULL", "21", "1", "300", "I10", "-", "NULL", "NULL", "2008/09", "200901"],
    ]  # fmt: skip
    result, spells = load("apc", write_csv(tmp_path / "ssms.csv", rows), tmp_path / "d")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 0)
    assert result.dropped == {
        "spell not discharged (no Discharge_Date): PbR pays a spell at discharge": 1
    }
    (spell,) = spells.values()
    assert (spell["spell_id"], spell["length_of_stay"], spell["hrg_code"]) == ("RWG:1006", 2, None)
    assert (spell["gp_practice_code"], spell["procedure_flag"], spell["not_known"]) == (
        None, None, None,
    )  # fmt: skip


def test_the_patients_lsoa_loads_from_sus_and_hes_extracts(tmp_path: Path) -> None:
    """The LSOA of the patient's postcode (SUS Der_Postcode_LSOA_2011_Code; HES LSOA11, else
    LSOA01, else SOACODE) loads into the activity datasets' `lsoa_code`; the not-known and
    pseudo codes (Z99999999, M99999999 Isle of Man) load as missing, noted under the column that
    gave them, never rejected; a value that is no LSOA is flagged by the check."""
    rows = [
        [*APCS, "Der_Postcode_LSOA_2011_Code"],
        ["1", "SP1", "P1", "RWG", "RWG01", "E82001", "5P2", "2", "67", "2009-01-03",
         "2009-01-10", "7", "21", "1", "300", "J189", "-", "1", "DZ11C", "2008/09", "200901",
         "E01023456"],
        ["2", "SP2", "P2", "RWG", "RWG01", "E82001", "5P2", "1", "50", "2009-01-04",
         "2009-01-05", "1", "21", "1", "300", "J189", "-", "1", "DZ11C", "2008/09", "200901",
         "M99999999"],
        ["3", "SP3", "P3", "RWG", "RWG01", "E82001", "5P2", "1", "50", "2009-01-04",
         "2009-01-05", "1", "21", "1", "300", "J189", "-", "1", "DZ11C", "2008/09", "200901",
         "E02004567"],
    ]  # fmt: skip
    result, spells = load("apc", write_csv(tmp_path / "apcs.csv", rows), tmp_path / "d")
    assert (result.layout, result.ignored_columns, result.rows_loaded) == ("sus_apcs", (), 3)
    got = {k: (v["lsoa_code"], v["lsoa_code_valid"], v["not_known"]) for k, v in spells.items()}
    assert got == {
        "RWG:SP1": ("E01023456", True, None),
        "RWG:SP2": (None, None, "Der_Postcode_LSOA_2011_Code=M99999999"),
        "RWG:SP3": ("E02004567", False, None),  # a middle layer SOA: not an LSOA, flagged
    }

    hes = [
        ["ATTENDID", "PROCODE3", "PURCODE", "PSEUDO_HESID", "APPTDATE", "FIRSTATT", "ATTENDED",
         "LSOA11", "LSOA01", "SOACODE"],
        ["A1", "RWG", "5P2", "P1", "2009-01-05", "1", "5", "W01000123", "", ""],
        ["A2", "RWG", "5P2", "P2", "2009-01-06", "1", "5", "", "E01000456", ""],
        ["A3", "RWG", "5P2", "P3", "2009-01-07", "1", "5", "", "Z99999999", ""],
        ["A4", "RWG", "5P2", "P4", "2009-01-08", "1", "5", "", "", "E01000789"],
    ]  # fmt: skip
    result, attendances = load("op", write_csv(tmp_path / "op.csv", hes), tmp_path / "d2")
    assert (result.layout, result.rows_loaded, result.rows_rejected) == ("hes_op", 4, 0)
    got = {k: (v["lsoa_code"], v["not_known"]) for k, v in attendances.items()}
    assert got == {
        "RWG:A1": ("W01000123", None),
        "RWG:A2": ("E01000456", None),
        "RWG:A3": (None, "LSOA01=Z99999999"),
        "RWG:A4": ("E01000789", None),
    }
