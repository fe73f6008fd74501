"""Uploads are scanned for viruses by a ClamAV daemon before anything reads them (ASVS 12.4.2):
before, no file was. A real clamd runs here with one signature of its own (tests/clamd_daemon.py);
every upload form is tested in tests/web/test_upload_forms.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clamd_daemon import EICAR, FOUND, clamd
from pbc import antivirus
from pbc.cli import app
from pbc.imports.models import ImportRun
from pbc.uploads import UploadLimits, UploadRefused, check_file


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with clamd(tmp_path_factory.mktemp("clamd")) as socket_path:
        yield socket_path


def test_clamd_finds_the_test_virus_anywhere_in_a_file(scanner: str, tmp_path: Path) -> None:
    assert antivirus.scan(b"financial_year,provider_code\n2008/09,RWG\n", scanner) is None
    assert antivirus.scan(EICAR, scanner) == FOUND
    big = tmp_path / "big.csv"  # past the first chunks sent
    big.write_bytes(b"a,b\n" * 800_000 + EICAR + b"\n")
    assert antivirus.scan(big, f"unix:{scanner}") == FOUND


def test_an_infected_upload_is_refused_naming_the_file_and_the_virus(scanner: str) -> None:
    limits = UploadLimits(virus_scanner=scanner)
    check_file(b"a,b\n1,2\n", "clean.csv", limits)
    with pytest.raises(UploadRefused) as refused:
        check_file(b"a,b\n" + EICAR + b",2\n", "return.csv", limits)
    assert str(refused.value) == (
        f"return.csv: the virus scanner found {FOUND} in it: the file was not read or kept"
    )


def test_a_file_that_could_not_be_scanned_is_refused(tmp_path: Path) -> None:
    limits = UploadLimits(virus_scanner=str(tmp_path / "no-daemon.sock"))
    with pytest.raises(UploadRefused, match=r"^clean.csv: could not be checked for viruses"):
        check_file(b"a,b\n1,2\n", "clean.csv", limits)


@pytest.mark.django_db
def test_pbc_import_refuses_an_infected_file(
    scanner: str, tmp_path: Path, settings: object
) -> None:
    settings.PBC_VIRUS_SCANNER = scanner  # type: ignore[attr-defined]
    path = tmp_path / "mff.csv"
    path.write_bytes(
        b"financial_year,provider_code,market_forces_factor\n2008/09,RWG," + EICAR + b"\n"
    )
    result = CliRunner().invoke(app, ["import", "market_forces_factors", str(path), "--json"])
    assert result.exit_code == 2, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "refused"
    assert f"mff.csv: the virus scanner found {FOUND}" in payload["message"]
    run = ImportRun.objects.order_by("-pk").first()
    assert run is not None and run.status == "refused" and run.rows_loaded == 0
