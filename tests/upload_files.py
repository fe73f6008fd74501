"""Hostile and broken upload files, built for the upload tests.

The expanding ("zip bomb") files are real Office packages made with openpyxl or python-docx, whose
one placeholder string is then rewritten, streaming, into a run of 300 MiB of one letter: the
file on disk stays a few hundred kilobytes and the test never holds the expanded text.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docx import Document
from openpyxl import Workbook

PLACEHOLDER = "PBCBOMBPLACEHOLDER"
EXPANDED = 300 * 1024 * 1024  # characters (bytes: one ASCII letter each)
PLAN_HEADER = ["Objective/Priority", "Action", "Milestones", "Lead", "Timescale", "Outcome"]


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx_bytes(rows: list[list[str]]) -> bytes:
    document = Document()
    document.add_paragraph("Plan")
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for cells, row in zip(table.rows, rows, strict=True):
        for cell, text in zip(cells.cells, row, strict=True):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _expand(package: bytes, member: str, path: Path, size: int = EXPANDED) -> Path:
    """Copy `package` to `path`, with PLACEHOLDER in `member` replaced by `size` letters A."""
    with (
        zipfile.ZipFile(io.BytesIO(package)) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != member:
                out.writestr(info.filename, data)
                continue
            before, after = data.split(PLACEHOLDER.encode(), 1)
            with out.open(member, "w", force_zip64=True) as stream:
                stream.write(before)
                block = b"A" * (1 << 20)
                for _ in range(size // len(block)):
                    stream.write(block)
                stream.write(after)
    return path


SHARED_STRINGS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    f'uniqueCount="1"><si><t>{PLACEHOLDER}</t></si></sst>'
)


def with_shared_string(package: bytes) -> bytes:
    """`package` (openpyxl writes inline strings) with the PLACEHOLDER cell turned into a
    reference to string 0 of a shared string table holding PLACEHOLDER."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            text = source.read(info.filename).decode()
            if info.filename == "xl/worksheets/sheet1.xml":
                inline = f'" t="inlineStr"><is><t>{PLACEHOLDER}</t></is></c>'
                assert inline in text
                text = text.replace(inline, '" t="s"><v>0</v></c>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                text = text.replace(
                    "</Relationships>",
                    '<Relationship Id="rIdBomb" Target="sharedStrings.xml" Type="http://schemas.'
                    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                    "</Relationships>",
                )
            elif info.filename == "[Content_Types].xml":
                text = text.replace(
                    "</Types>",
                    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            target.writestr(info.filename, text)
        target.writestr("xl/sharedStrings.xml", SHARED_STRINGS)
    return out.getvalue()


def xlsx_bomb(path: Path, header: list[str] | None = None, column: int = 0) -> Path:
    """An XLSX whose one shared string (row 2, `column`) expands to 300 MiB."""
    header = header or ["finding", "response", "response_reason"]
    row: list[object] = ["x"] * len(header)
    row[column] = PLACEHOLDER
    package = with_shared_string(xlsx_bytes([header, row]))
    return _expand(package, "xl/sharedStrings.xml", path)


def docx_bomb(path: Path) -> Path:
    """A Word plan whose one table cell expands to 300 MiB."""
    row = ["Reduce admissions", PLACEHOLDER, "", "Lee", "March 2009", "Fewer admissions"]
    return _expand(docx_bytes([PLAN_HEADER, row]), "word/document.xml", path)


def xlsx_broken_sheet(header: list[str]) -> bytes:
    """A workbook that opens (a sound ZIP directory) but whose sheet XML stops half way: the
    error comes while reading rows."""
    good = xlsx_bytes([header, *[[f"v{r}{c}" for c in range(len(header))] for r in range(50)]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(info.filename, data)
    return out.getvalue()


def truncated(data: bytes) -> bytes:
    """The first half of a file, as a failed download leaves it."""
    return data[: len(data) // 2]


def zip_not_office() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("notes.txt", "not a spreadsheet")
    return out.getvalue()


def docx_not_docx() -> bytes:
    """A ZIP named like a Word document whose document part is not XML."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "this is not XML <<<")
    return out.getvalue()


BAD_UTF8_CSV = b"finding,response\n\xff\xfe\xfa,agreed\n"


ENTITY_PLACEHOLDER = "PBCENTITYPLACEHOLDER"
# Declarations put in a workbook's shared strings, each defining the entity `e` used in a cell.
ENTITY_DECLARATIONS = {
    # an external entity: reading the file would read a file of the server
    "external-entity": '<!ENTITY e SYSTEM "file:///etc/passwd">',
    # "billion laughs": nine levels of ten, 10^9 copies of "lol" from a few hundred bytes
    "billion-laughs": '<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    + '<!ENTITY e "&l9;">',
}


def xlsx_with_entity(header: list[str], kind: str) -> bytes:
    """A workbook whose worksheet declares XML entities (`ENTITY_DECLARATIONS[kind]`) and whose
    second row's first cell is the entity `&e;`."""
    good = xlsx_bytes([header, [ENTITY_PLACEHOLDER] + ["x"] * (len(header) - 1)])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode().replace(ENTITY_PLACEHOLDER, "&e;")
                at = text.index("<worksheet")
                doctype = f"<!DOCTYPE worksheet [{ENTITY_DECLARATIONS[kind]}]>"
                data = (text[:at] + doctype + text[at:]).encode()
                assert b"&e;" in data
            target.writestr(info.filename, data)
    return out.getvalue()
