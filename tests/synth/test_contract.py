"""Generated tables follow the data contract: names, types, required fields, code lists,
named checks; NHS numbers from the 999 range that pass modulus 11."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pbc.codes import is_test_range_nhs_number
from pbc.synth import generate
from pbc.synth.tables import schema
from pbc.warehouse.datasets import CHECKS, DATASETS, GENERATED_DATASETS


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return generate(
        population=800,
        seed=3,
        start="2008-04",
        end="2009-03",
        localities=("dacorum", "welwyn-hatfield"),
    )


def test_every_dataset_is_generated_with_its_schema(tables: dict[str, pa.Table]) -> None:
    assert set(tables) == set(GENERATED_DATASETS)
    for name, table in tables.items():
        assert table.schema == schema(name), name
        assert table.num_rows > 0, name


def test_required_fields_are_filled_and_codes_are_in_their_lists(
    tables: dict[str, pa.Table],
) -> None:
    for name, table in tables.items():
        for field in DATASETS[name].fields:
            col = table.column(field.name)
            if field.required:
                assert col.null_count == 0, f"{name}.{field.name}"
            if field.codes is not None:
                values = {v for v in col.to_pylist() if v is not None}
                assert values <= {c if field.type == "string" else c for c in field.codes}, (
                    f"{name}.{field.name}: {values - field.codes}"
                )


def test_named_checks_pass_on_register_data(tables: dict[str, pa.Table]) -> None:
    # registers and reference data are clean: every named check passes there
    for name in (
        "practices",
        "providers",
        "patients",
        "deaths",
        "referrals",
        "rtt",
        "prescribing",
        "tariff",
    ):
        table = tables[name]
        for field in DATASETS[name].fields:
            if field.check is None:
                continue
            bad = [
                v
                for v in table.column(field.name).to_pylist()
                if v is not None and not CHECKS[field.check](v)
            ]
            assert not bad, f"{name}.{field.name}: {bad[:5]}"


def test_register_nhs_numbers_are_valid_test_range_and_unique_per_person(
    tables: dict[str, pa.Table],
) -> None:
    patients = tables["patients"].to_pandas()
    assert patients["nhs_number"].map(is_test_range_nhs_number).all()
    persons = patients.drop_duplicates("nhs_number")
    assert persons.groupby("nhs_number")["date_of_birth"].nunique().max() == 1
    # registrations of one person never overlap
    p = patients.sort_values(["nhs_number", "registration_start_date"])
    same = p["nhs_number"].eq(p["nhs_number"].shift())
    prev_end = p["registration_end_date"].shift()
    assert not (same & (prev_end >= p["registration_start_date"]).fillna(False)).any()


def test_moves_between_practices_exist(tables: dict[str, pa.Table]) -> None:
    patients = tables["patients"].to_pandas()
    assert (patients["deregistration_reason"] == "moved_practice").sum() > 0
    assert patients.groupby("nhs_number").size().max() >= 2


def test_dates_before_1970_survive_and_missing_dates_are_null() -> None:
    import datetime as dt

    import pandas as pd

    from pbc.synth.tables import _column
    from pbc.warehouse.datasets import PATIENTS

    dob = _column(pd.Series([-1, 0, -20000], dtype="Int64"), PATIENTS.field("date_of_birth"))
    assert dob.to_pylist() == [
        dt.date(1969, 12, 31),
        dt.date(1970, 1, 1),
        dt.date(1970, 1, 1) - dt.timedelta(days=20000),
    ]
    end = _column(pd.Series([14000, None], dtype="Int64"), PATIENTS.field("registration_end_date"))
    assert end.null_count == 1
