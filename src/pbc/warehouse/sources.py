"""Source files for import: whole-file checks, checksum, and reading every column as text.

Whole-file problems raise `ImportRefused` naming the file and the problem, before anything is
written. The checks, in order:

1. format, by extension: `.csv`, `.xlsx`, `.parquet` (anything else is refused);
2. empty file (0 bytes, or no header row);
3. CSV only: UTF-8 text (a UTF-8 byte order mark is allowed; Windows-1252 / Latin-1 exports and
   UTF-16 files are refused with a hint to save as "CSV UTF-8"; NUL bytes are refused);
4. the header: every declared column present, no unknown and no duplicate column. Header names
   are compared after trimming spaces and lower-casing, so "NHS_Number " matches `nhs_number`.
   Column order is free. (Strict on purpose: a column that silently goes missing is how a
   month of data quietly loses a field.)
5. at least one data row (checked by the importer once the rows are read).

Reading: every column is read as text (VARCHAR) and typed later in one vectorised SQL pass, so
the same coercion rules apply to every format. CSV is read by DuckDB's parallel reader (fast
path); if DuckDB finds a structural problem (a row with too many or too few fields, an
unterminated quote), the importer re-reads the file with Python's `csv` module (`read_csv_rows`),
which quarantines the malformed rows instead. XLSX (first worksheet, header on row 1) is read
with openpyxl; cell values become text by `cell_text`. Parquet columns are cast to text by
DuckDB.

`source_row` numbering, reported in the quarantine file: the row number a spreadsheet shows.
XLSX: the worksheet's own row number. CSV: the header is row 1 and the first data row is row 2;
blank lines are skipped and not counted (as DuckDB's reader does), and a quoted value spanning
lines counts as one row. Parquet has no header row: its first row is row 1.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pbc.uploads import office_error_text

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
CHUNK = 8 * 1024 * 1024
# DuckDB's CSV buffer size (None: DuckDB's default). Tests lower it to exercise parallel reading.
CSV_BUFFER_SIZE: int | None = None
ROW_COLUMN = "_row"


class ImportRefused(Exception):
    """A whole-file problem: nothing was changed. `str()` names the file and the problem."""

    def __init__(self, source_name: str, problem: str) -> None:
        super().__init__(f"{source_name}: {problem}")
        self.source_name = source_name
        self.problem = problem


@dataclass
class SlowReadLog:
    """What the Python readers met: rows to quarantine, and a refusal that stopped them.

    The readers run inside DuckDB's scan of an Arrow stream, which does not carry Python
    exception types through, so they record the refusal here before raising.
    """

    ragged: list[RaggedRow] = field(default_factory=list)
    refusal: ImportRefused | None = None


@dataclass(frozen=True)
class RaggedRow:
    """A CSV/XLSX row whose number of fields does not match the header."""

    source_row: int
    found: int
    expected: int
    text: str


def detect_format(path: Path, source_name: str) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportRefused(
            source_name,
            f"unsupported format {path.suffix or '(no extension)'!r}: "
            "use .csv (UTF-8), .xlsx or .parquet",
        )
    return fmt


def checksum_and_check_text(path: Path, source_name: str, text: bool) -> str:
    """SHA-256 of the file's bytes (64 hex digits); when `text`, also check it is UTF-8.

    One pass over the file in 8 MB chunks. ASCII chunks (the usual case) skip the decoder.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if text:
                if offset == 0 and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    raise ImportRefused(
                        source_name, "wrong encoding: UTF-16, not UTF-8; save it as 'CSV UTF-8'"
                    )
                if b"\x00" in chunk:
                    raise ImportRefused(
                        source_name,
                        "wrong encoding: contains NUL bytes, so it is not UTF-8 text "
                        "(UTF-16 perhaps); save it as 'CSV UTF-8'",
                    )
                if not chunk.isascii():
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as err:
                        raise ImportRefused(
                            source_name,
                            f"wrong encoding: not UTF-8 (byte 0x{chunk[err.start]:02x} at "
                            f"offset {offset + err.start}); save it as 'CSV UTF-8'",
                        ) from None
            offset += len(chunk)
    if text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportRefused(
                source_name, "wrong encoding: the file ends inside a UTF-8 character"
            ) from None
    return digest.hexdigest()


def normalise_header(name: object) -> str:
    return "" if name is None else str(name).strip().lower()


def check_header(header: Sequence[object], declared: Sequence[str], source_name: str) -> list[str]:
    """The normalised header; refuses missing, unknown, duplicate or blank column names."""
    names = [normalise_header(h) for h in header]
    problems: list[str] = []
    blanks = [i + 1 for i, n in enumerate(names) if not n]
    if blanks:
        problems.append(f"blank column name in column(s) {', '.join(map(str, blanks))}")
    dupes = sorted({n for n in names if n and names.count(n) > 1})
    if dupes:
        problems.append(f"duplicate columns: {', '.join(dupes)}")
    unknown = [n for n in names if n and n not in declared]
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown[:20])}")
    missing = [d for d in declared if d not in names]
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if problems:
        raise ImportRefused(source_name, "; ".join(problems))
    return names


# --- CSV -----------------------------------------------------------------------------------------


def read_csv_header(path: Path, source_name: str) -> list[str]:
    """The first CSV record (the header), as written."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            for record in csv.reader(fh):
                if record and any(f.strip() for f in record):
                    return record
        except csv.Error as err:
            raise ImportRefused(source_name, f"malformed CSV header: {err}") from None
    raise ImportRefused(source_name, "empty file: no header row")


def duckdb_csv_source(path: Path, names: Sequence[str]) -> str:
    """A DuckDB table expression reading the CSV with every column as VARCHAR, strictly."""
    cols = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    quoted = str(path).replace("'", "''")
    buffer = f", buffer_size = {CSV_BUFFER_SIZE}" if CSV_BUFFER_SIZE else ""
    return (
        f"read_csv('{quoted}', header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        f"encoding = 'utf-8', columns = {{{cols}}}{buffer})"
    )


def _text_schema(names: Sequence[str]) -> pa.Schema:
    return pa.schema([(ROW_COLUMN, pa.int64())] + [(n, pa.string()) for n in names])


def _batches(
    rows: Iterator[tuple[int, list[str | None]]], names: Sequence[str], size: int
) -> Iterator[pa.RecordBatch]:
    schema = _text_schema(names)
    numbers: list[int] = []
    columns: list[list[str | None]] = [[] for _ in names]
    for number, values in rows:
        numbers.append(number)
        for col, value in zip(columns, values, strict=True):
            col.append(value)
        if len(numbers) >= size:
            yield pa.RecordBatch.from_arrays(
                [pa.array(numbers, pa.int64())] + [pa.array(c, pa.string()) for c in columns],
                schema=schema,
            )
            numbers, columns = [], [[] for _ in names]
    if numbers:
        yield pa.RecordBatch.from_arrays(
            [pa.array(numbers, pa.int64())] + [pa.array(c, pa.string()) for c in columns],
            schema=schema,
        )


def read_csv_rows(
    path: Path, names: Sequence[str], log: SlowReadLog, source_name: str, size: int = 65536
) -> pa.RecordBatchReader:
    """The slow, forgiving CSV path: Python's csv module, one record at a time.

    Well-formed records become text batches with their `_row` number; records with the wrong
    number of fields are appended to `log.ragged` (the importer quarantines them).
    """
    expected = len(names)

    def rows() -> Iterator[tuple[int, list[str | None]]]:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=False)
            number = 1
            header_seen = False
            try:
                for record in reader:
                    if not record or not any(record) and len(record) == 1:
                        continue  # blank line
                    if not header_seen:
                        header_seen = True
                        continue
                    number += 1
                    if len(record) != expected:
                        text = ",".join(record)
                        log.ragged.append(RaggedRow(number, len(record), expected, text[:200]))
                        continue
                    yield number, [v if v != "" else None for v in record]
            except csv.Error as err:
                log.refusal = ImportRefused(
                    source_name, f"malformed CSV near row {number + 1}: {err}"
                )
                raise log.refusal from None

    return pa.RecordBatchReader.from_batches(_text_schema(names), _batches(rows(), names, size))


# --- XLSX ----------------------------------------------------------------------------------------


def cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV export would hold.

    Whole-number floats lose their ".0" (Excel stores every number as a float, so an NHS number
    9434765919 arrives as 9434765919.0); dates become ISO dates; midnight datetimes become dates.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text != "" else None


def open_xlsx(
    path: Path, source_name: str
) -> tuple[list[object], int, Iterator[tuple[object, ...]]]:
    """The header cells, the header's row number and an iterator over the rows below it."""
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header: list[object] | None = None
        header_row = 0
        for row in rows:
            header_row += 1
            if any(c is not None and str(c).strip() for c in row):
                header = list(row)
                break
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as err:
        raise ImportRefused(
            source_name, f"not a readable XLSX workbook ({office_error_text(err)})"
        ) from None
    except Exception as err:  # openpyxl raises many types on damaged workbooks
        raise ImportRefused(
            source_name, f"not a readable XLSX workbook ({office_error_text(err)})"
        ) from None
    if header is None:
        raise ImportRefused(source_name, "empty file: the first worksheet has no header row")
    while header and (header[-1] is None or str(header[-1]).strip() == ""):
        header.pop()
    return header, header_row, rows


def read_xlsx_rows(
    rows: Iterator[tuple[object, ...]],
    names: Sequence[str],
    log: SlowReadLog,
    source_name: str,
    header_row: int = 1,
    size: int = 65536,
) -> pa.RecordBatchReader:
    """Data rows of a worksheet as text batches; rows with cells beyond the header are ragged."""
    width = len(names)

    def text_rows() -> Iterator[tuple[int, list[str | None]]]:
        number = header_row
        try:
            for row in rows:
                number += 1
                values = [cell_text(c) for c in row]
                if all(v is None or not v.strip() for v in values):
                    continue
                extra = values[width:]
                if any(v is not None for v in extra):
                    text = ",".join("" if v is None else v for v in values)
                    found = width + len(extra)
                    while values and values[-1] is None:
                        values.pop()
                        found = len(values)
                    log.ragged.append(RaggedRow(number, found, width, text[:200]))
                    continue
                values = (values + [None] * width)[:width]
                yield number, values
        except Exception as err:  # a damaged sheet part
            log.refusal = ImportRefused(
                source_name,
                f"not a readable XLSX workbook near row {number} ({office_error_text(err)})",
            )
            raise log.refusal from None

    return pa.RecordBatchReader.from_batches(
        _text_schema(names), _batches(text_rows(), names, size)
    )


# --- Parquet -------------------------------------------------------------------------------------


def read_parquet_header(path: Path, source_name: str) -> list[str]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as err:
        raise ImportRefused(source_name, f"not a readable Parquet file ({err})") from None
    return list(schema.names)


def duckdb_parquet_source(path: Path, file_names: Sequence[str], names: Sequence[str]) -> str:
    """A DuckDB table expression reading a Parquet file with every column cast to VARCHAR."""
    quoted = str(path).replace("'", "''")
    cols = ", ".join(
        f'CAST("{f.replace(chr(34), chr(34) * 2)}" AS VARCHAR) AS "{n}"'
        for f, n in zip(file_names, names, strict=True)
    )
    return f"(SELECT {cols} FROM read_parquet('{quoted}'))"


def text_sample(path: Path, size: int = 1 << 20) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def estimate_csv_rows(path: Path) -> int:
    """Rows in a CSV estimated from the line length of its first megabyte (for progress)."""
    sample = text_sample(path)
    lines = max(sample.count(b"\n"), 1)
    return max(int(path.stat().st_size / (len(sample) / lines)) - 1, 1)
