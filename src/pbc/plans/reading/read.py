"""`read_plan`: one entry point for every plan document format.

The format is decided from the content, not the file name:

- a ZIP package holding `word/document.xml` is a Word `.docx`, one holding `xl/workbook.xml` an
  Excel `.xlsx`;
- an OLE compound file (the old binary Office container) is what Office writes when a `.docx` or
  `.xlsx` is saved with a password (the package is then encrypted inside it); it is refused with a
  message saying so (or, without an `EncryptionInfo` stream, as a legacy .doc/.xls);
- anything else must be text (UTF-8, UTF-16 with a byte order mark, or Windows-1252): a text
  export with a header line of tab-separated column names is a PDF-style column export
  (`text_columns`), one with the column names as consecutive tab-started cells is a Word text
  export (`text_cells`).

Every failure raises `PlanReadError` naming the file and the problem.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from pbc.plans.reading.assemble import Event, Loose, PlanTitle, Row, assemble
from pbc.plans.reading.docx_reader import read_docx
from pbc.plans.reading.model import ParsedPlan, PlanReadError, count_text_chars
from pbc.plans.reading.text_cells import is_tab_cell_text, read_tab_cells
from pbc.plans.reading.text_columns import is_tab_column_text, read_tab_columns
from pbc.plans.reading.timescales import financial_year_start
from pbc.plans.reading.xlsx_reader import read_xlsx
from pbc.uploads import UploadLimits, UploadRefused, check_file, office_error_text

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
DEFAULT_FINANCIAL_YEAR = "2008/09"
EXPECTED_COLUMNS = "Objective/Priority, Action, Milestones, Lead, Timescale, Outcome"


def read_plan(
    source: str | os.PathLike[str] | bytes,
    filename: str | None = None,
    *,
    financial_year: str = DEFAULT_FINANCIAL_YEAR,
    limits: UploadLimits | None = None,
) -> ParsedPlan:
    """Read a commissioning plan document (text export, .docx or .xlsx) into a `ParsedPlan`.

    `source` is a path or the file's bytes (an upload); `filename` names it in messages (for a path
    it defaults to the file's name). `financial_year` ("2008/09") is the plan's year: due dates
    before its 1 April give warnings. `limits` are the upload limits (`pbc.uploads`; default
    ones if not given): the file's size and, for a .docx or .xlsx, its expansion are checked
    before it is read, and no cell or line may be longer than the cell-length cap. Raises
    `PlanReadError` if the file cannot be read as a plan.
    """
    limits = limits or UploadLimits()
    if isinstance(source, bytes):
        data, name = source, filename or "uploaded file"
        checked: bytes | Path = data
    else:
        path = Path(source)
        name = filename or path.name
        checked = path
    try:
        check_file(checked, name, limits)
    except UploadRefused as refused:
        raise PlanReadError(name, refused.detail) from None
    except OSError as error:
        raise PlanReadError(name, f"cannot be opened ({error.strerror or error})") from error
    if not isinstance(source, bytes):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise PlanReadError(name, f"cannot be opened ({error.strerror or error})") from error
    try:
        fy_start = financial_year_start(financial_year)
    except ValueError as error:
        raise PlanReadError(name, str(error)) from error

    if not data.strip():
        raise PlanReadError(name, "the file is empty")
    plan = ParsedPlan(filename=name, financial_year=financial_year)
    if data.startswith(OLE_SIGNATURE):
        if ENCRYPTION_STREAM in data:
            raise PlanReadError(
                name,
                "the file is password-protected (an encrypted Office document); "
                "remove the password in Word or Excel and upload it again",
            )
        raise PlanReadError(
            name,
            "the file is a legacy binary Office document (.doc or .xls); "
            "save it as .docx or .xlsx and upload it again",
        )
    if data.startswith(b"PK\x03\x04"):
        events, plan.source_chars = _read_package(data, name)
        wrapped = False
    elif data.startswith(b"%PDF"):
        raise PlanReadError(
            name, "the file is a PDF; export it as text, or save the plan as .docx or .xlsx"
        )
    else:
        text = _decode_text(data, name)
        plan.source_chars = count_text_chars(text)
        if is_tab_column_text(text):
            events, wrapped = list(read_tab_columns(text)), True
        elif is_tab_cell_text(text):
            events, wrapped = list(read_tab_cells(text)), False
        else:
            raise PlanReadError(name, f"no recognisable header row (expected {EXPECTED_COLUMNS})")
    _check_cell_lengths(events, name, limits)
    assemble(events, plan, wrapped=wrapped, fy_start=fy_start)
    if not plan.objectives:
        raise PlanReadError(name, "a header row was found but no objectives under it")
    return plan


def _check_cell_lengths(events: list[Event], name: str, limits: UploadLimits) -> None:
    """Refuse a table cell, heading or loose text longer than the cell-length cap."""
    cap = limits.max_cell_chars
    for event in events:
        if isinstance(event, Row):
            texts = [
                (f"{event.location}, field {role}", "\n".join(lines))
                for role, lines in event.cells.items()
            ]
        elif isinstance(event, Loose):
            texts = [(event.location, event.text)]
        else:
            texts = [("a heading", event.text if isinstance(event, PlanTitle) else event.title)]
        for where, text in texts:
            if len(text) > cap:
                raise PlanReadError(
                    name,
                    f"{where}: the value has {len(text):,} characters, more than the "
                    f"{cap:,} allowed",
                )


def _read_package(data: bytes, name: str) -> tuple[list[Event], int]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = set(package.namelist())
    except zipfile.BadZipFile as error:
        raise PlanReadError(name, f"the file is a damaged ZIP package ({error})") from error
    kind = "Office file"
    try:
        if "word/document.xml" in members:
            kind = "Word document (.docx)"
            doc = read_docx(data)
        elif "xl/workbook.xml" in members:
            kind = "Excel workbook (.xlsx)"
            doc = read_xlsx(data)
        else:
            raise PlanReadError(
                name, "the file is a ZIP package but neither a Word .docx nor an Excel .xlsx"
            )
    except PlanReadError:
        raise
    except Exception as error:  # a broken package can fail anywhere inside the libraries
        raise PlanReadError(name, f"not a readable {kind} ({office_error_text(error)})") from error
    if not doc.header_found:
        raise PlanReadError(name, f"no recognisable header row (expected {EXPECTED_COLUMNS})")
    return doc.events, doc.text_chars


def _decode_text(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif b"\x00" in data:
        raise PlanReadError(name, "the file is not text, a Word .docx or an Excel .xlsx")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(5, len(text) // 100):
        raise PlanReadError(name, "the file is not text, a Word .docx or an Excel .xlsx")
    return text
