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

from pbc.imports.actions import run_import
from pbc.warehouse import store
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
    assert all(p.endswith("commissioner_code=5P2") for p in result.partitions_replaced)


def test_another_commissioners_row_refuses_the_file(own_warehouse: Path) -> None:
    before = month_of_rwg(read("apc", own_warehouse))
    manifest = store.read_manifest(own_warehouse / "warehouse" / "apc", "apc")
    rows = pa.concat_tables([two_east_north_herts_rows(before), before.slice(5, 1)])
    assert rows["commissioner_code"].to_pylist() == ["5P2", "5P2", "5P3"]
    upload = write_csv(rows, own_warehouse / "mixed.csv")

    run, result = run_import(
        user("enh-analyst"), "apc", upload, period="2009-01", source_name="mixed.csv"
    )

    assert result is None and run.status == "refused"
    assert run.message.startswith("mixed.csv: row 4, field commissioner_code: 5P3 is not your")
    assert "5P2 only" in run.message
    assert store.read_manifest(own_warehouse / "warehouse" / "apc", "apc") == manifest


def test_the_system_import_replaces_the_whole_month(own_warehouse: Path) -> None:
    """`pbc import` (no user) keeps its meaning: re-importing a month replaces it, for every
    commissioner; `--pct` (here pct="5P2") narrows it to one PCT like an analyst's upload."""
    before = month_of_rwg(read("apc", own_warehouse))
    upload = write_csv(two_east_north_herts_rows(before), own_warehouse / "enh.csv")
    run, result = run_import(None, "apc", upload, period="2009-01", pct="5P2")
    assert result is not None, run.message
    assert (
        month_of_rwg(read("apc", own_warehouse)).num_rows
        == before.num_rows - (pc.sum(pc.equal(before["commissioner_code"], "5P2")).as_py() or 0) + 2
    )
    run, result = run_import(None, "apc", upload, period="2009-01")
    assert result is not None, run.message
    assert sorted(month_of_rwg(read("apc", own_warehouse))["spell_id"].to_pylist()) == [
        "ENH-1",
        "ENH-2",
    ]


def write_rows(dataset: str, rows: list[dict[str, str]], path: Path) -> Path:
    """A CSV in the dataset's declared columns (a column it does not declare is left out)."""
    names = list(DATASETS[dataset].names)
    table = pa.table({n: [r.get(n, "") for r in rows] for n in names})
    pacsv.write_csv(table, path)
    return path


def local_price(hrg: str, price: str, pct: str) -> dict[str, str]:
    return {
        "financial_year": "2008/09",
        "point_of_delivery": "IMG",
        "hrg_code": hrg,
        "service_description": f"scan {hrg}",
        "price": price,
        "commissioner_code": pct,
    }


def follow_up_cap(tf: str, cap: str, pct: str) -> dict[str, str]:
    return {
        "financial_year": "2008/09",
        "treatment_function_code": tf,
        "follow_up_ratio_cap": cap,
        "commissioner_code": pct,
    }


@pytest.mark.parametrize(
    ("dataset", "west_herts", "east_north_herts", "column"),
    [
        ("local_prices", local_price("RA01Z", "50.00", "5P3"),
         local_price("RA01Z", "70.00", "5P2"), "price"),
        ("follow_up_caps", follow_up_cap("110", "2.5", "5P3"),
         follow_up_cap("110", "3.0", "5P2"), "follow_up_ratio_cap"),
    ],
)  # fmt: skip
def test_a_pct_reference_import_keeps_the_other_pcts_rows(
    tmp_path: Path,
    dataset: str,
    west_herts: dict[str, str],
    east_north_herts: dict[str, str],
    column: str,
) -> None:
    with override_settings(DATA_DIR=tmp_path):
        wh = write_rows(dataset, [west_herts], tmp_path / "wh.csv")
        run, result = run_import(user("analyst"), dataset, wh, via="upload")
        assert result is not None, run.message
        enh = write_rows(dataset, [east_north_herts], tmp_path / "enh.csv")
        run, result = run_import(user("enh-analyst"), dataset, enh, via="upload")
        assert result is not None, run.message

        table = read(dataset, tmp_path)
    assert table.num_rows == 2, "East and North Herts' import replaced West Herts' rows"
    by_pct = {
        row["commissioner_code"]: str(row[column]) for row in table.to_pylist()
    }  # each PCT keeps its own value for the same key
    assert by_pct == {"5P3": west_herts[column], "5P2": east_north_herts[column]}


def test_the_command_line_imports_for_one_pct_with_pct(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pbc.cli import app

    runner = CliRunner()
    with override_settings(DATA_DIR=tmp_path):
        path = write_rows(
            "local_prices",
            [local_price("RA01Z", "70.00", "5P2"), local_price("RA02Z", "80.00", "5P3")],
            tmp_path / "prices.csv",
        )
        result = runner.invoke(app, ["import", "local_prices", str(path), "--pct", "5P2"])
        assert result.exit_code == 2
        assert "row 3, field commissioner_code: 5P3 is not your commissioner" in result.stderr
        assert read("local_prices", tmp_path).num_rows == 0
        result = runner.invoke(app, ["import", "local_prices", str(path), "--pct", "5ZZ"])
        assert result.exit_code == 2 and "unknown PCT '5ZZ'" in result.stderr
        result = runner.invoke(app, ["import", "local_prices", str(path)])  # the system
        assert result.exit_code == 0, result.output
        assert read("local_prices", tmp_path).num_rows == 2


def test_the_upload_page_refuses_another_commissioners_rows(own_warehouse: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    before = month_of_rwg(read("apc", own_warehouse))
    manifest = store.read_manifest(own_warehouse / "warehouse" / "apc", "apc")
    rows = pa.concat_tables([before.slice(5, 1), two_east_north_herts_rows(before)])
    content = write_csv(rows, own_warehouse / "mine.csv").read_bytes()
    client = Client()
    client.force_login(user("enh-analyst"))
    response = client.post(
        "/imports/",
        {"dataset": "apc", "period": "2009-01", "file": SimpleUploadedFile("mine.csv", content)},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "mine.csv: row 2, field commissioner_code: 5P3 is not your commissioner" in page
    assert store.read_manifest(own_warehouse / "warehouse" / "apc", "apc") == manifest
