"""The `pbc` command line: the import verb records what it did and refuses bad files cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pbc.cli import app
from pbc.warehouse.models import ImportRun

runner = CliRunner()


@pytest.mark.django_db
def test_import_prints_and_records_the_import(tmp_path: Path) -> None:
    path = tmp_path / "mff.csv"
    path.write_text(
        "financial_year,provider_code,market_forces_factor\n2008/09,RWG,1.10825\n2008/09,RC1,x\n"
    )
    before = ImportRun.objects.count()
    result = runner.invoke(app, ["import", "market_forces_factors", str(path), "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["status"] == "loaded"
    assert (record["rows_read"], record["rows_loaded"], record["rows_rejected"]) == (2, 1, 1)
    run = ImportRun.objects.get(pk=record["import_run"])
    assert ImportRun.objects.count() == before + 1
    assert (run.dataset, run.rows_read, run.rows_loaded, run.rows_rejected) == (
        "market_forces_factors", 2, 1, 1,
    )  # fmt: skip
    assert run.checksum == record["checksum"] and run.via == "cli"


@pytest.mark.django_db
def test_import_refuses_a_file_with_the_wrong_columns(tmp_path: Path) -> None:
    path = tmp_path / "mff.csv"
    path.write_text("financial_year,provider\n2008/09,RWG\n")
    result = runner.invoke(app, ["import", "market_forces_factors", str(path), "--json"])
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["status"] == "refused"
    assert "mff.csv" in payload["message"]
    assert "unknown columns: provider" in payload["message"]
    assert "missing columns: provider_code, market_forces_factor" in payload["message"]
    run = ImportRun.objects.order_by("-pk").first()
    assert run is not None and run.status == "refused" and run.rows_loaded == 0

    result = runner.invoke(app, ["import", "no_such_dataset", str(path)])
    assert result.exit_code == 2
    assert "no_such_dataset" in result.stderr
