"""Expanding files ("zip bombs") are refused before they expand, by every reader an upload form
or the command line uses, measured in a fresh process.

Each case runs in a new Python process that imports what it needs, notes its own peak resident
memory (VmHWM in /proc/self/status), reads the 300 KB file that expands to 300 MiB, and prints
its peak again: the rise must stay under 100 MB, and the reader must refuse the file with a
message naming it and the member that expands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import upload_files as files
from pbc.uploads import MB, UploadLimits, UploadRefused, check_file, read_rows
from pbc.warehouse.datasets import DATASETS

RISE_LIMIT = 100 * 1024 * 1024
PRELUDE = """
import json, os, sys
def peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbc.config.settings")
import django
django.setup()
import docx, duckdb, openpyxl, pyarrow, pyarrow.dataset, pyarrow.parquet
import pbc.plans.reading, pbc.services.tabular, pbc.validation.files, pbc.warehouse.ingest
"""
READ = """
path, name = sys.argv[1], sys.argv[2]
baseline = peak()
try:
{call}
    outcome = "read"
except Exception as error:
    outcome = f"{{type(error).__name__}}: {{error}}"
print(json.dumps({{"baseline": baseline, "peak": peak(), "outcome": outcome}}))
"""
READERS = {
    # the provider return, claims and patient survey forms
    "services": "    from pbc.services.tabular import read_table\n"
    "    read_table(open(path, 'rb').read(), name)",
    # the provider response form on the provider's validation page
    "responses": "    from pbc.validation.files import read_response_file\n"
    "    read_response_file(name, open(path, 'rb').read())",
    # the plan import form and `pbc plans import`
    "plans": "    from pbc.plans.reading import read_plan\n    read_plan(path, filename=name)",
}


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # SQLite in data_dir
    env["PBC_DATA_DIR"] = str(data_dir)
    return env


def run_measured(script: str, args: list[str], data_dir: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=environment(data_dir),
        timeout=600,
        check=False,
    )
    assert done.stdout.strip(), done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr
    return result


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {
        "xlsx": files.xlsx_bomb(folder / "bomb.xlsx"),
        "apc.xlsx": files.xlsx_bomb(folder / "apc-bomb.xlsx", header=list(DATASETS["apc"].names)),
        "docx": files.docx_bomb(folder / "bomb.docx"),
    }


@pytest.mark.parametrize(
    ("reader", "bomb", "member"),
    [
        ("services", "xlsx", "xl/sharedStrings.xml"),
        ("responses", "xlsx", "xl/sharedStrings.xml"),
        ("plans", "xlsx", "xl/sharedStrings.xml"),
        ("plans", "docx", "word/document.xml"),
    ],
)
@pytest.mark.slow
def test_a_reader_refuses_an_expanding_file_in_little_memory(
    reader: str, bomb: str, member: str, bombs: dict[str, Path], tmp_path: Path
) -> None:
    path = bombs[bomb]
    assert path.stat().st_size < 400 * 1024
    result = run_measured(
        PRELUDE + READ.format(call=READERS[reader]), [str(path), path.name], tmp_path
    )
    outcome = str(result["outcome"])
    assert f"{member} expands to 300.0 MB, more than the 100.0 MB allowed" in outcome, result
    assert path.name in outcome
    rise = int(str(result["peak"])) - int(str(result["baseline"]))
    assert rise < RISE_LIMIT, f"peak memory rose by {rise / 1024 / 1024:.0f} MB"


CLI = """
from pbc import cli
cli.setup_django()
cli.migrate()
baseline = peak()
sys.argv = ["pbc", *sys.argv[1:]]
try:
    cli.main()
    code = 0
except SystemExit as exit:
    code = exit.code
print(json.dumps({"baseline": baseline, "peak": peak(), "outcome": code}))
"""


@pytest.mark.slow
def test_pbc_import_refuses_an_expanding_xlsx_in_little_memory(
    bombs: dict[str, Path], tmp_path: Path
) -> None:
    path = bombs["apc.xlsx"]
    result = run_measured(PRELUDE + CLI, ["import", "apc", str(path)], tmp_path)
    assert result["outcome"] == 2, result
    message = str(result["stderr"])
    assert "refused, nothing changed" in message and path.name in message
    assert "xl/sharedStrings.xml expands to 300.0 MB, more than the 100.0 MB allowed" in message
    rise = int(str(result["peak"])) - int(str(result["baseline"]))
    assert rise < RISE_LIMIT, f"peak memory rose by {rise / 1024 / 1024:.0f} MB"
    assert not any((tmp_path / "warehouse").rglob("*.parquet"))


@pytest.mark.slow
def test_pbc_plans_import_refuses_an_expanding_docx(bombs: dict[str, Path], tmp_path: Path) -> None:
    path = bombs["docx"]
    result = run_measured(
        PRELUDE + CLI, ["plans", "import", str(path), "--locality", "nowhere"], tmp_path
    )
    # The file is checked before the locality is looked up: the bomb is what is refused.
    assert result["outcome"] == 2, result
    assert "word/document.xml expands to 300.0 MB" in str(result["stderr"])


# --- the limits one by one (pbc.uploads, in this process) ----------------------------------------

LIMITS = UploadLimits(max_bytes=5 * MB, max_rows=3, max_cell_chars=10)


def refusal(source: bytes, name: str, limits: UploadLimits = LIMITS) -> str:
    with pytest.raises(UploadRefused) as refused:
        list(read_rows(source, name, limits))
    return str(refused.value)


def test_rows_stream_with_their_numbers_and_the_caps_name_file_row_and_field() -> None:
    csv_file = b"name,code\nalpha,1\n\nbeta,2\n"
    assert list(read_rows(csv_file, "ok.csv", LIMITS)) == [
        (1, ["name", "code"]),
        (2, ["alpha", "1"]),
        (3, []),
        (4, ["beta", "2"]),
    ]
    assert refusal(b"name,code\nalpha,1\nbeta,2\ngamma,3\ndelta,4\n", "many.csv") == (
        "many.csv: row 5: more than the 3 rows allowed"
    )
    assert refusal(b"name,code\nalpha,1\n" + b"b" * 11 + b",2\n", "long.csv") == (
        "long.csv: row 3, field name: the value has 11 characters, more than the 10 allowed"
    )
    workbook = files.xlsx_bytes([["name", "code"], ["alpha", 1], ["beta", "c" * 11]])
    assert refusal(workbook, "long.xlsx") == (
        "long.xlsx: row 3, field code: the value has 11 characters, more than the 10 allowed"
    )
    assert list(read_rows(workbook, "long.xlsx", UploadLimits()))[2] == (3, ["beta", "c" * 11])


def test_broken_files_are_refused_with_a_message_not_an_exception_of_the_library() -> None:
    assert refusal(b"name\nalpha\n\xff\xfe\n", "latin1.csv") == (
        "latin1.csv: row 3: the CSV file is not UTF-8 text (byte 0xff); save it as 'CSV UTF-8'"
    )
    broken = refusal(files.xlsx_broken_sheet(["a", "b"]), "broken.xlsx", UploadLimits())
    assert broken.startswith("broken.xlsx: row ") and "the sheet is damaged" in broken
    assert "damaged ZIP package" in refusal(files.truncated(files.xlsx_bytes([["a"]])), "t.xlsx")
    assert "not a readable Excel workbook" in refusal(files.zip_not_office(), "zip.xlsx")
    assert refusal(b"a,b\n", "table.ods") == (
        "table.ods: the file must be a CSV (.csv) or Excel workbook (.xlsx)"
    )


def test_zip_members_are_judged_by_size_and_ratio_before_expansion(tmp_path: Path) -> None:
    zeros = tmp_path / "zeros.xlsx"
    with zipfile.ZipFile(zeros, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("xl/worksheets/sheet1.xml", b"0" * (2 * MB))  # ~1000 times smaller
        package.writestr("xl/small.xml", b"0" * 1000)  # small parts are not held to the ratio
    with pytest.raises(
        UploadRefused,
        match=r"^zeros.xlsx: xl/worksheets/sheet1.xml expands [\d,]+ times \(to 2.0 MB\), "
        r"more than the 100 times allowed$",
    ):
        check_file(zeros, "zeros.xlsx", UploadLimits())
    check_file(zeros, "zeros.xlsx", UploadLimits(max_ratio=10_000))
    two = tmp_path / "two.docx"
    with zipfile.ZipFile(two, "w", zipfile.ZIP_STORED) as package:
        package.writestr("word/a.xml", b"0" * MB)
        package.writestr("word/b.xml", b"0" * MB)
    with pytest.raises(UploadRefused, match=r"its parts expand to 2.0 MB together, more than"):
        check_file(two.read_bytes(), "two.docx", UploadLimits(max_uncompressed_bytes=3 * MB // 2))


def test_parquet_is_judged_by_its_footer(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"a": list(range(10))}), path)
    with pytest.raises(UploadRefused, match="has 10 rows, more than the 3 allowed"):
        check_file(path, "rows.parquet", LIMITS)
    check_file(path, "rows.parquet", UploadLimits())


@pytest.mark.parametrize("kind", files.ENTITY_DECLARATIONS)
def test_an_xlsx_declaring_xml_entities_is_refused_clearly(kind: str) -> None:
    """An external entity or a "billion laughs" expansion in a workbook's XML is refused by
    defusedxml, which openpyxl uses when it is installed, with a message saying so."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    workbook = files.xlsx_with_entity(["name", "code"], kind)
    assert refusal(workbook, f"{kind}.xlsx", UploadLimits()) == (
        f"{kind}.xlsx: not a readable Excel workbook (.xlsx) (its XML declares entities (an "
        "external entity or an entity expansion), which pbc refuses for safety; save the file "
        "again from Excel or Word)"
    )
