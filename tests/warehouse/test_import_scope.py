"""Scope on imports: a PCT analyst's import replaces only its own commissioners' rows.

Issue 13: as East and North Herts' analyst, a 2-row `apc` upload for provider RWG and 2009-01
replaced the whole partition (51 rows, 49 of them West Herts', became 1). The demo's `apc`
dataset is copied into a data directory of the test's own, so the session's warehouse is never
changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from pbc.warehouse import store
from pbc.warehouse.actions import run_import
from pbc.warehouse.datasets import DATASETS

pytestmark = pytest.mark.django_db


def user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def read(dataset: str, data_dir: Path) -> pa.Table:
    files = store.live_files(dataset, data_dir)
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else pa.table({})


def month_of_rwg(table: pa.Table) -> pa.Table:
    """The rows of provider RWG discharged in January 2009."""
    mask = pc.and_(pc.equal(table["period"], "2009-01"), pc.equal(table["provider_code"], "RWG"))
    return table.filter(mask)


@pytest.fixture
def own_warehouse(tmp_path: Path) -> Any:
    """A data directory holding a copy of the demo's `apc` dataset."""
    shutil.copytree(Path(settings.DATA_DIR) / "warehouse" / "apc", tmp_path / "warehouse" / "apc")
    with override_settings(DATA_DIR=tmp_path):
        yield tmp_path


def write_csv(rows: pa.Table, path: Path) -> Path:
    pacsv.write_csv(rows.select(list(DATASETS["apc"].names)), path)
    return path


def two_east_north_herts_rows(month: pa.Table) -> pa.Table:
    """Two spells of East and North Herts (5P2) patients at RWG in January 2009."""
    rows = month.slice(0, 2)
    rows = rows.set_column(
        rows.schema.get_field_index("commissioner_code"),
        "commissioner_code",
        pa.array(["5P2", "5P2"]),
    )
    return rows.set_column(
        rows.schema.get_field_index("spell_id"), "spell_id", pa.array(["ENH-1", "ENH-2"])
    )


@pytest.mark.xfail(strict=True, reason="issue 13: an import replaces the whole partition")
def test_a_pct_import_keeps_other_commissioners_rows(own_warehouse: Path) -> None:
    before = month_of_rwg(read("apc", own_warehouse))
    west_herts = before.filter(pc.equal(before["commissioner_code"], "5P3"))
    assert west_herts.num_rows > 10
    upload = write_csv(two_east_north_herts_rows(before), own_warehouse / "enh.csv")

    run, result = run_import(user("enh-analyst"), "apc", upload, period="2009-01", via="upload")

    assert result is not None, run.message
    after = month_of_rwg(read("apc", own_warehouse))
    kept = after.filter(pc.equal(after["commissioner_code"], "5P3"))
    assert sorted(kept["spell_id"].to_pylist()) == sorted(west_herts["spell_id"].to_pylist())
    mine = after.filter(pc.equal(after["commissioner_code"], "5P2"))
    assert sorted(mine["spell_id"].to_pylist()) == ["ENH-1", "ENH-2"]
