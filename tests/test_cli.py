"""The `pbc` command line: the import verb records what it did and refuses bad files cleanly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pbc.cli import app
from pbc.imports.models import ImportRun

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


@pytest.mark.django_db
def test_refresh_refuses_a_bad_month_in_one_line() -> None:
    from pbc.finance.models import RefreshRun

    before = RefreshRun.objects.count()
    for bad in ("2009-13", "January", "2009-1"):
        result = runner.invoke(app, ["refresh", "--month", bad])
        assert result.exit_code == 2, result.output
        assert (
            result.stderr == f"pbc refresh: --month {bad!r} is not a month like 2009-01 (YYYY-MM)\n"
        )
        assert result.stdout == ""  # nothing ran
    assert RefreshRun.objects.count() == before


def test_refresh_help_says_what_the_default_month_is() -> None:
    result = runner.invoke(app, ["refresh", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "every month the warehouse holds" not in text.split("findings")[0]
    assert (
        "Default: costing and statements for the latest month with admitted patient care (its "
        "year to date and the two years before); findings and indicators for every month the "
        "warehouse holds" in text
    )


@pytest.mark.django_db
def test_refresh_recomputes_the_month_through_the_cli() -> None:
    import datetime as dt

    from django.db.models import Sum

    from pbc.finance.models import RefreshRun, SpendFact

    def spend() -> Decimal:
        # SQLite sums decimals as floats, in no fixed order: compare to the penny.
        total = SpendFact.objects.filter(financial_year="2008/09").aggregate(t=Sum("charged"))["t"]
        return Decimal(total).quantize(Decimal("0.01"))

    before, runs = spend(), RefreshRun.objects.count()
    result = runner.invoke(app, ["refresh", "--month", "2009-01", "--force"])
    assert result.exit_code == 0, result.output
    lines = [line.split(":")[0].strip() for line in result.stdout.splitlines()]
    assert lines == ["validation findings", "costing and statements", "indicators"]
    assert "facts for 2009-01" in result.stdout.splitlines()[1]
    run = RefreshRun.objects.order_by("-pk").first()
    assert RefreshRun.objects.count() == runs + 1
    assert run is not None and run.month == dt.date(2009, 1, 1) and run.rows_costed > 0
    assert spend() == before  # the same warehouse gives the same spend
