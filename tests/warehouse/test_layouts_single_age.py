"""Registered patients by single year of age (NHS Digital's gp-reg-pat-prac-sing-age-male.csv
and -female.csv, one file per sex) load as published: each year summed into the pbc five-year
band that holds it, 95+ into 90+, the sex totals dropped and counted, and the female file does
not replace the male file's rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tests.warehouse.real_samples import read_rows, sample, write_csv

from pbc.warehouse import store
from pbc.warehouse.datasets import AGE_BANDS
from pbc.warehouse.ingest import import_file

HEADER_2023 = ["PUBLICATION", "EXTRACT_DATE", "TYPE", "SUB_ICB_LOCATION_CODE",
               "ONS_SUB_ICB_LOCATION_CODE", "ORG_CODE", "POSTCODE", "SEX", "AGE",
               "NUMBER_OF_PATIENTS"]  # fmt: skip
HEADER_2019 = ["PUBLICATION", "EXTRACT_DATE", "TYPE", "CCG_CODE", "ONS_CCG_CODE", "ORG_CODE",
               "POSTCODE", "SEX", "AGE", "NUMBER_OF_PATIENTS"]  # fmt: skip
PRACTICES = {"A81001": ("00K", "E38000075", "TS18 1HU"), "B82005": ("42D", "E38000188", "YO8 9BX")}
AGES = [str(a) for a in range(95)] + ["95+"]


def count(practice: str, sex: str, age: str) -> int:
    """A made-up, distinct count per practice, sex and year of age."""
    year = 95 if age == "95+" else int(age)
    return (year * 7 + len(practice) * (3 if sex == "MALE" else 5)) % 61 + 1


def sex_file(path: Path, sex: str, header: list[str], extract: str) -> Path:
    rows: list[list[object]] = [header]
    for code, (sub_icb, ons, postcode) in PRACTICES.items():
        total = sum(count(code, sex, a) for a in AGES)
        rows.append(["GP_PRAC_PAT_LIST", extract, "GP", sub_icb, ons, code, postcode, sex,
                     "ALL", total])  # fmt: skip
        for age in AGES:
            rows.append(["GP_PRAC_PAT_LIST", extract, "GP", sub_icb, ons, code, postcode, sex,
                         age, count(code, sex, age)])  # fmt: skip
    return write_csv(path, rows)


def stored(data_dir: Path) -> dict[tuple[str, str, str], int]:
    rows = (
        duckdb.connect()
        .sql(
            "SELECT gp_practice_code, sex, age_band, registered_patients, quarter_start, "
            f"snapshot_date FROM read_parquet('{store.dataset_dir('list_sizes', data_dir)}/**/*.parquet')"
        )
        .fetchall()
    )
    assert {(str(r[4]), str(r[5])) for r in rows} == {("2023-07-01", "2023-09-01")}
    return {(r[0], r[1], r[2]): int(r[3]) for r in rows}


def expected_band(age: str) -> str:
    year = 95 if age == "95+" else int(age)
    return AGE_BANDS[min(year // 5, len(AGE_BANDS) - 1)]


def test_single_year_files_load_into_five_year_bands_per_sex(tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    male = sex_file(tmp_path / "gp-reg-pat-prac-sing-age-male.csv", "MALE", HEADER_2023,
                    "01SEP2023")  # fmt: skip
    result = import_file("list_sizes", male, data_dir=wh)
    assert result.layout == "gp_reg_pat_single_age"
    # 2 practices x (96 years + 1 sex total) = 194 rows: 2 totals dropped, 96 years summed into
    # 19 bands per practice (77 summed away each), 38 rows loaded.
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (194, 38, 0)
    assert result.dropped == {
        "sex total row (age ALL)": 2,
        "single year of age summed into its pbc five-year band": 154,
    }
    assert result.rows_flagged == 0

    # The female file, in the 2019 header (CCG_CODE) and the 01-Sep-23 date form.
    female = sex_file(tmp_path / "f.csv", "FEMALE", HEADER_2019, "01-Sep-23")
    result = import_file("list_sizes", female, data_dir=wh)
    assert result.layout == "gp_reg_pat_single_age" and result.rows_loaded == 38

    got = stored(wh)
    want: dict[tuple[str, str, str], int] = {}
    for code in PRACTICES:
        for sex, letter in (("MALE", "M"), ("FEMALE", "F")):
            for age in AGES:
                key = (code, letter, expected_band(age))
                want[key] = want.get(key, 0) + count(code, sex, age)
    assert got == want  # both sexes kept: the female file replaced only the female rows
    assert {band for (_, _, band) in got} == set(AGE_BANDS)
    # 95+ lies in 90+, with 90 ... 94.
    assert got[("A81001", "M", "90+")] == sum(
        count("A81001", "MALE", a) for a in ("90", "91", "92", "93", "94", "95+")
    )


def test_the_totals_form_shares_the_header_and_loads_as_all(tmp_path: Path) -> None:
    wh = tmp_path / "wh"
    rows: list[list[object]] = [HEADER_2023]
    for code, (sub_icb, ons, postcode) in PRACTICES.items():
        rows.append(["GP_PRAC_PAT_LIST", "01SEP2023", "GP", sub_icb, ons, code, postcode, "ALL",
                     "ALL", 1234])  # fmt: skip
    rows.append(["GP_PRAC_PAT_LIST", "01SEP2023", "SUB_ICB_LOCATION", "00K", "E38000075", "00K",
                 "", "ALL", "ALL", 99999])  # fmt: skip
    result = import_file("list_sizes", write_csv(tmp_path / "all.csv", rows), data_dir=wh)
    assert result.layout == "gp_reg_pat_single_age"
    assert (result.rows_read, result.rows_loaded, result.rows_dropped) == (3, 2, 1)
    assert result.dropped == {"not a practice row (ORG_TYPE is not GP)": 1}
    assert stored(wh) == {("A81001", "all", "all"): 1234, ("B82005", "all", "all"): 1234}


QUINARY = "list_sizes/gp_reg_pat_prac_quin_age_2017_09_sample.csv"


@pytest.mark.parametrize(
    "sub_icb,extract",
    [("CCG_CODE", "01-Apr-19"), ("SUB_ICB_LOCATION_CODE", "01OCT2023")],
    ids=["2019", "2023"],
)
def test_the_quinary_form_loads_across_its_headers(
    tmp_path: Path, sub_icb: str, extract: str
) -> None:
    """The quinary-age sample rewritten in the headers of other years: TYPE, the commissioner
    column named CCG_CODE to 2022 and SUB_ICB_LOCATION_CODE after, ORG_CODE."""
    rows = read_rows(sample(QUINARY))
    header = ["PUBLICATION", "EXTRACT_DATE", "TYPE", sub_icb, f"ONS_{sub_icb}", "ORG_CODE",
              "POSTCODE", "SEX", "AGE_GROUP_5", "NUMBER_OF_PATIENTS"]  # fmt: skip
    body = [[r[0], extract, r[2], "D2P2L", "E38000250", r[3], r[5], r[6], r[7], r[8]]
            for r in rows[1:]]  # fmt: skip
    result = import_file(
        "list_sizes", write_csv(tmp_path / "q.csv", [header, *body]), data_dir=tmp_path
    )
    assert result.layout == "gp_reg_pat_quinary"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (172, 160, 0)
    assert result.rows_dropped == 12 and result.rows_flagged == 0
    assert result.ignored_columns == ()
