"""The one bounded upload path (no Django here): limits, whole-file checks and streaming rows.

Every file handed to pbc (a provider return, claims, patient survey results, a provider response
file, a warehouse import, a plan document; on a form or on the command line) goes through
`check_file` before anything reads it, and tabular files are read with `read_rows`:

- size: at most `max_bytes` on disk;
- ZIP packages (XLSX, DOCX): read from the ZIP's central directory *before anything is
  expanded*, each member's declared uncompressed size and all members together are at most
  `max_uncompressed_bytes`, and a member of 1 MiB or more expands at most `max_ratio` times its
  compressed size. Python's `zipfile` (which openpyxl and python-docx use) stops every member
  at its declared size and fails its CRC check if the data would go on, so a directory that
  lies cannot make a member expand further;
- Parquet: the footer's uncompressed column sizes and row count, the same way;
- rows (`read_rows`): CSV through `csv.reader` over a decoding stream, XLSX through openpyxl in
  read-only mode, one row at a time; a row beyond `max_rows`, a cell longer than
  `max_cell_chars`, bad UTF-8 or a damaged sheet met while reading refuse the file, naming the
  file, the row and the field (the header's name for the column, or its letter).

- viruses: when `virus_scanner` names a ClamAV daemon (`PBC_CLAMD`), the whole file is scanned
  by it first (`pbc.antivirus`); a file in which it finds a signature, or that it could not
  scan, is refused.

Every refusal is an `UploadRefused` whose text starts with the file's name.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pbc import antivirus

logger = logging.getLogger(__name__)

MB = 1024 * 1024
RATIO_FLOOR = MB  # members smaller than this are not held to the ratio (tiny parts compress well)

Source = str | os.PathLike[str] | bytes
Row = tuple[int, list[object]]  # (the row number a spreadsheet shows, the cells)


@dataclass(frozen=True)
class UploadLimits:
    """The bounds every upload is held to (Django settings `PBC_UPLOAD_*`, see README)."""

    max_bytes: int = 50 * MB
    max_rows: int = 1_000_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_uncompressed_bytes: int = 100 * MB
    max_ratio: int = 100
    virus_scanner: str = ""  # a ClamAV daemon's address (pbc.antivirus); "" scans nothing


class UploadRefused(Exception):
    """A file that is not read: `str()` is "NAME: [row R, field F: ]problem"."""

    def __init__(
        self, name: str, problem: str, *, row: int | None = None, field: str | None = None
    ) -> None:
        where = ", ".join(
            part
            for part in (f"row {row}" if row else "", f"field {field}" if field else "")
            if part
        )
        self.detail = f"{where}: {problem}" if where else problem
        super().__init__(f"{name}: {self.detail}")
        self.name = name
        self.problem = problem
        self.row = row
        self.field = field


def size_text(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB else f"{size:,} bytes"


def over_size(size: int, cap: int) -> str:
    """ "the file is 51.2 MB, more than the 50.0 MB allowed" (in bytes if those look equal)."""
    found, allowed = size_text(size), size_text(cap)
    if found == allowed:
        found, allowed = f"{size:,} bytes", f"{cap:,} bytes"
    return f"the file is {found}, more than the {allowed} allowed"


def _open(source: Source) -> IO[bytes]:
    return io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115


def _size(source: Source) -> int:
    return len(source) if isinstance(source, bytes) else os.stat(source).st_size


def _kind(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return {
        ".xlsx": "Excel workbook (.xlsx)",
        ".docx": "Word document (.docx)",
        ".csv": "CSV file",
        ".parquet": "Parquet file",
    }.get(suffix, "Office file")


ENTITIES_REFUSED = (
    "its XML declares entities (an external entity or an entity expansion), which pbc refuses "
    "for safety; save the file again from Excel or Word"
)


def office_error_text(error: BaseException) -> str:
    """A reading library's error as the reason given for an Office file. openpyxl reads
    worksheets and shared strings through defusedxml (installed for it), which refuses any XML
    entity declaration: external entities and "billion laughs" expansions are named as such."""
    from defusedxml import DefusedXmlException

    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:  # openpyxl wraps the parser's error
        if isinstance(cause, DefusedXmlException):
            return ENTITIES_REFUSED
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return str(error)


def check_file(source: Source, name: str, limits: UploadLimits) -> None:
    """Refuse a file over the size cap, or a ZIP package or Parquet file that would expand past
    the caps; read nothing beyond the file's directory or footer."""
    size = _size(source)
    if size > limits.max_bytes:
        raise UploadRefused(name, over_size(size, limits.max_bytes))
    if limits.virus_scanner:
        check_for_viruses(source, name, limits.virus_scanner)
    with _open(source) as stream:
        head = stream.read(4)
    if head in (b"PK\x03\x04", b"PK\x05\x06"):
        check_zip(source, name, limits)
    elif head == b"PAR1":
        check_parquet(source, name, limits)


def check_for_viruses(source: Source, name: str, scanner: str) -> None:
    try:
        found = antivirus.scan(source, scanner)
    except antivirus.ScanFailed as error:
        raise UploadRefused(
            name, f"could not be checked for viruses: {error}. Try again later"
        ) from None
    if found is not None:
        logger.warning("upload %s refused: the virus scanner found %s", name, found)
        raise UploadRefused(
            name, f"the virus scanner found {found} in it: the file was not read or kept"
        )


def check_zip(source: Source, name: str, limits: UploadLimits) -> None:
    cap = limits.max_uncompressed_bytes
    try:
        with _open(source) as stream, zipfile.ZipFile(stream) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise UploadRefused(
            name, f"not a readable {_kind(name)}: the file is a damaged ZIP package ({error})"
        ) from None
    total = 0
    for member in members:
        expanded = member.file_size
        if expanded > cap:
            raise UploadRefused(
                name,
                f"{member.filename} expands to {size_text(expanded)}, more than the "
                f"{size_text(cap)} allowed",
            )
        ratio = expanded / max(member.compress_size, 1)
        if expanded >= RATIO_FLOOR and ratio > limits.max_ratio:
            raise UploadRefused(
                name,
                f"{member.filename} expands {ratio:,.0f} times (to {size_text(expanded)}), more "
                f"than the {limits.max_ratio} times allowed",
            )
        total += expanded
    if total > cap:
        raise UploadRefused(
            name,
            f"its parts expand to {size_text(total)} together, more than the "
            f"{size_text(cap)} allowed",
        )


def check_parquet(source: Source, name: str, limits: UploadLimits) -> None:
    import pyarrow.parquet as pq

    try:
        with _open(source) as stream:
            meta = pq.read_metadata(stream)
    except Exception as error:  # pyarrow raises several types for a damaged footer
        raise UploadRefused(name, f"not a readable Parquet file ({error})") from None
    expanded = sum(
        meta.row_group(g).column(c).total_uncompressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
    )
    if expanded > limits.max_uncompressed_bytes:
        raise UploadRefused(
            name,
            f"its columns expand to {size_text(expanded)}, more than the "
            f"{size_text(limits.max_uncompressed_bytes)} allowed",
        )
    if meta.num_rows > limits.max_rows:
        raise UploadRefused(
            name, f"the file has {meta.num_rows:,} rows, more than the {limits.max_rows:,} allowed"
        )


# --- rows ----------------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_rows(source: Source, name: str, limits: UploadLimits) -> Iterator[Row]:
    """The rows of a CSV (UTF-8) or of an XLSX's first worksheet, one at a time, after
    `check_file`; rows keep the number a spreadsheet shows (the first row is 1)."""
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UploadRefused(name, "the file must be a CSV (.csv) or Excel workbook (.xlsx)")
    check_file(source, name, limits)
    rows = _csv_rows(source, name) if suffix == ".csv" else _xlsx_rows(source, name)
    yield from bounded_rows(rows, name, limits, last_row=limits.max_rows + 1)


def bounded_rows(
    rows: Iterator[tuple[int, list[Any]]],
    name: str,
    limits: UploadLimits,
    *,
    last_row: int,
    header: list[str] | None = None,
) -> Iterator[tuple[int, list[Any]]]:
    """`rows` (number, cells) as they are read, held to the row and cell limits: a row numbered
    beyond `last_row` or a text cell longer than `max_cell_chars` refuses the file, naming the
    row and the field (the `header`'s name for the column, else the first non-blank row's,
    else its letter). Every reader of uploaded tables goes through here: `read_rows` (CSV UTF-8,
    XLSX) and the published-layout readers (`pbc.warehouse.layouts.readers`: Windows-1252 CSV,
    workbooks with several sheets, legacy XLS)."""
    cap = limits.max_cell_chars
    for number, cells in rows:
        if number > last_row:
            raise UploadRefused(name, f"more than the {limits.max_rows:,} rows allowed", row=number)
        for index, value in enumerate(cells):
            if isinstance(value, str) and len(value) > cap:
                field = (
                    header[index]
                    if header is not None and index < len(header) and header[index]
                    else f"column {column_letter(index)}"
                )
                raise UploadRefused(
                    name,
                    f"the value has {len(value):,} characters, more than the {cap:,} allowed",
                    row=number,
                    field=field,
                )
        if header is None and not all(_blank(v) for v in cells):
            header = ["" if v is None else str(v).strip() for v in cells]
        yield number, cells


def check_text_columns(
    name: str,
    limits: UploadLimits,
    columns: Sequence[Any],
    fields: Sequence[str],
    row_of: Callable[[int], int],
) -> None:
    """The cell limit over Arrow text columns, vectorised (for readers that build Arrow
    batches: the importer's typed batches, the published-layout readers): a cell longer than
    `max_cell_chars` refuses the file naming its row (`row_of(position)`) and field."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cap = limits.max_cell_chars
    for column, field in zip(columns, fields, strict=True):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        lengths = pc.utf8_length(column)
        longest = pc.max(lengths).as_py()
        if longest is None or longest <= cap:
            continue
        at = pc.index(lengths, longest).as_py()
        raise UploadRefused(
            name,
            f"the value has {longest:,} characters, more than the {cap:,} allowed",
            row=row_of(at),
            field=field,
        )


def _csv_rows(source: Source, name: str) -> Iterator[Row]:
    number = 0
    with _open(source) as raw:
        reader = csv.reader(_decoded_lines(raw))
        try:
            for record in reader:
                number += 1
                yield number, list(record)
        except UnicodeDecodeError as error:
            byte = bytes(error.object[error.start : error.start + 1])
            raise UploadRefused(
                name,
                f"the CSV file is not UTF-8 text{f' (byte 0x{byte.hex()})' if byte else ''}; "
                "save it as 'CSV UTF-8'",
                row=number + 1,
            ) from None
        except csv.Error as error:
            raise UploadRefused(name, f"malformed CSV ({error})", row=number + 1) from None


def _decoded_lines(raw: IO[bytes]) -> Iterator[str]:
    """The lines of a UTF-8 file (a byte order mark is dropped), decoded one at a time so that
    bad bytes are met at their own line."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    for line in raw:
        yield decoder.decode(line)
    if rest := decoder.decode(b"", final=True):
        yield rest


def _xlsx_rows(source: Source, name: str) -> Iterator[Row]:
    from openpyxl import load_workbook

    kind = _kind(name)
    try:
        book = load_workbook(
            io.BytesIO(source) if isinstance(source, bytes) else Path(source),
            read_only=True,
            data_only=True,
        )
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise UploadRefused(name, f"not a readable {kind} ({office_error_text(error)})") from None
    number = 0
    try:
        if not book.worksheets:
            raise UploadRefused(name, f"not a readable {kind}: it has no worksheet")
        rows = book.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as error:  # a damaged sheet fails while its rows are read
                reason = f"the sheet is damaged ({office_error_text(error)})"
                raise UploadRefused(
                    name, f"not a readable {kind}: {reason}", row=number + 1
                ) from None
            number += 1
            yield number, list(row)
    finally:
        book.close()
