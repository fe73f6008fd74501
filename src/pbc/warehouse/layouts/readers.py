"""Reading published files as rows of text, whatever their encoding or spreadsheet form.

Published NHS files arrive as:

- CSV in UTF-8 (with or without a byte order mark) or Windows-1252 (older NHS Digital and
  Department of Health files: "£" is byte 0xA3), comma-separated, or pipe- or tab-separated
  (`delimiter`: HES / SUS extracts arrive as pipe-delimited .txt files). UTF-16 and files with NUL bytes are refused.
  A header or row that ends in commas (PDPI's trailing empty column) loses its empty trailing
  cells;
- `.xlsx` workbooks, with title rows above the header and several sheets (openpyxl);
- legacy `.xls` workbooks (xlrd), whose date cells become ISO dates.

Every cell becomes text (`sources.cell_text` for spreadsheet values). Rows are numbered as a
spreadsheet shows them: CSV records from 1 (blank lines skipped and not counted, as the
native reader does), worksheet row numbers for workbooks.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pbc.uploads import (
    UploadLimits,
    UploadRefused,
    bounded_rows,
    check_text_columns,
    column_letter,
    office_error_text,
)
from pbc.warehouse.sources import CHUNK, ROW_COLUMN, ImportRefused, cell_text

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xls": "xls"}
PREVIEW_ROWS = 30

Row = tuple[int, list[str | None]]


@dataclass(frozen=True)
class Sheet:
    """A worksheet (or the one table of a CSV): its name and its first rows."""

    name: str
    index: int
    preview: list[Row]


def file_format(path: Path) -> str | None:
    return FORMATS.get(path.suffix.lower())


def checksum_and_encoding(path: Path, source_name: str, text: bool) -> tuple[str, str]:
    """SHA-256 of the file and, for text, its encoding: "utf-8-sig" or "cp1252".

    One pass over the bytes; a file that is not UTF-8 is checked as Windows-1252 in a second
    pass (rare). UTF-16 and NUL bytes are refused.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    first = True
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if text:
                if first and chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    raise ImportRefused(source_name, "wrong encoding: UTF-16; save it as CSV")
                if b"\x00" in chunk:
                    raise ImportRefused(
                        source_name, "wrong encoding: contains NUL bytes, so it is not text"
                    )
                if utf8 and not chunk.isascii():
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
            first = False
    if not text:
        return digest.hexdigest(), ""
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if utf8:
        return digest.hexdigest(), "utf-8-sig"
    decoder = codecs.getincrementaldecoder("cp1252")()
    offset = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                raise ImportRefused(
                    source_name,
                    f"wrong encoding: neither UTF-8 nor Windows-1252 (byte 0x{chunk[err.start]:02x} "
                    f"at offset {offset + err.start})",
                ) from None
            offset += len(chunk)
    return digest.hexdigest(), "cp1252"


def _trim_trailing(values: list[str | None]) -> list[str | None]:
    while values and (values[-1] is None or not values[-1].strip()):
        values.pop()
    return values


DELIMITERS = (",", "|", "\t")


def delimiter(path: Path, encoding: str) -> str:
    """The file's field separator: a comma, or a pipe or a tab where its first non-blank line
    has more of those than commas (NHS Digital's HES / SUS extracts, delivered as
    pipe-delimited .txt files; tab-separated exports)."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        for _, line in zip(range(50), fh, strict=False):
            if line.strip():
                commas = line.count(",")
                for other in DELIMITERS[1:]:
                    if line.count(other) >= 2 and line.count(other) > commas:
                        return other
                return ","
    return ","


def _csv_rows(path: Path, encoding: str, source_name: str) -> Iterator[Row]:
    separator = delimiter(path, encoding)
    with open(path, encoding=encoding, newline="") as fh:
        number = 0
        try:
            for record in csv.reader(fh, strict=False, delimiter=separator):
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                number += 1
                yield number, [v if v != "" else None for v in record]
        except csv.Error as err:
            raise ImportRefused(
                source_name, f"malformed CSV near row {number + 1}: {err}"
            ) from None


def _xlsx_sheets(path: Path, source_name: str) -> list[tuple[str, Iterator[Row]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types on damaged workbooks
        raise ImportRefused(
            source_name, f"not a readable XLSX workbook ({office_error_text(err)})"
        ) from None

    def rows(ws: object) -> Iterator[Row]:
        first = getattr(ws, "min_row", 1) or 1
        cells = ws.iter_rows(values_only=True)  # type: ignore[attr-defined]
        number = first - 1
        while True:
            try:
                row = next(cells)
            except StopIteration:
                return
            except Exception as err:  # a damaged sheet fails while its rows are read
                raise ImportRefused(
                    source_name,
                    f"row {number + 1}: not a readable XLSX workbook: the sheet is damaged "
                    f"({office_error_text(err)})",
                ) from None
            number += 1
            yield number, [cell_text(c) for c in row]

    return [(ws.title, rows(ws)) for ws in wb.worksheets]


def _xls_sheets(path: Path, source_name: str) -> list[tuple[str, Iterator[Row]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as err:  # xlrd raises XLRDError and others on damaged files
        raise ImportRefused(source_name, f"not a readable XLS workbook ({err})") from None

    def value(cell: object) -> str | None:
        kind = getattr(cell, "ctype", 0)
        raw = getattr(cell, "value", None)
        if kind == xlrd.XL_CELL_DATE:
            try:
                when = xlrd.xldate_as_datetime(raw, book.datemode)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return cell_text(raw)
            return cell_text(when if when.time() != dt.time(0) else when.date())
        if kind == xlrd.XL_CELL_BOOLEAN:
            return cell_text(bool(raw))
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        return cell_text(raw)

    def rows(index: int) -> Iterator[Row]:
        sheet = book.sheet_by_index(index)
        for r in range(sheet.nrows):
            yield r + 1, [value(c) for c in sheet.row(r)]

    return [(book.sheet_names()[i], rows(i)) for i in range(book.nsheets)]


def sheets(
    path: Path, fmt: str, encoding: str, source_name: str
) -> list[tuple[str, Iterator[Row]]]:
    """Every table of the file: (name, rows). A CSV has one, called "csv"."""
    if fmt == "csv":
        return [("csv", _csv_rows(path, encoding, source_name))]
    if fmt == "xlsx":
        return _xlsx_sheets(path, source_name)
    if fmt == "xls":
        return _xls_sheets(path, source_name)
    raise ValueError(fmt)


def previews(path: Path, fmt: str, encoding: str, source_name: str) -> list[Sheet]:
    """The first non-blank rows of every table, as read (for detection)."""
    out = []
    for index, (name, rows) in enumerate(sheets(path, fmt, encoding, source_name)):
        first: list[Row] = []
        for number, values in rows:
            if not any(v is not None and v.strip() for v in values):
                continue
            first.append((number, values))
            if len(first) >= PREVIEW_ROWS:
                break
        out.append(Sheet(name, index, first))
    return out


@dataclass
class Ragged:
    """Rows with more cells than the layout reads (quarantined by the importer), and the
    refusal of a file over an upload limit met while its rows were read."""

    rows: list[tuple[int, int, int, str]]
    refusal: UploadRefused | None = None


def text_batches(
    path: Path,
    fmt: str,
    encoding: str,
    source_name: str,
    *,
    sheet: int,
    after_row: int,
    width: int,
    ragged: Ragged,
    size: int = 65536,
    limits: UploadLimits | None = None,
    header: tuple[str, ...] = (),
) -> pa.RecordBatchReader:
    """The rows of table `sheet` below row `after_row` (the header; 0 when headerless) as Arrow
    batches of text columns c1..c<width> and `_row`. A row whose non-empty cells go beyond
    `width` is recorded in `ragged`; a shorter row is padded with empty cells.

    `limits` (`pbc.uploads`, the one bounded upload path): more than `max_rows` data rows, or
    a cell longer than `max_cell_chars` (checked per batch, vectorised, every column of the
    file: `uploads.check_text_columns`; a ragged row's cells one by one), stops the reading:
    the refusal, naming the row and the field (`header`'s name, else the column's letter), is
    left in `ragged.refusal` for the caller to raise."""
    names = [f"c{i}" for i in range(1, width + 1)]
    fields = [
        header[i] if i < len(header) and header[i] else f"column {column_letter(i)}"
        for i in range(width)
    ]
    schema = pa.schema([(ROW_COLUMN, pa.int64())] + [(n, pa.string()) for n in names])
    if fmt == "csv" and encoding == "utf-8-sig":
        table = _regular_csv(path, after_row, width)
        if table is not None:
            return pa.RecordBatchReader.from_batches(
                schema, _table_batches(table, schema, source_name, size, limits, fields, ragged)
            )
    _, rows = sheets(path, fmt, encoding, source_name)[sheet]

    def batches() -> Iterator[pa.RecordBatch]:
        numbers: list[int] = []
        columns: list[list[str | None]] = [[] for _ in names]
        read = 0

        def flush() -> pa.RecordBatch:
            batch = pa.RecordBatch.from_arrays(
                [pa.array(numbers, pa.int64())] + [pa.array(c, pa.string()) for c in columns],
                schema=schema,
            )
            if limits is not None:
                check_text_columns(
                    source_name, limits, batch.columns[1:], fields, lambda at: numbers[at]
                )
            return batch

        try:
            for number, values in rows:
                if number <= after_row:
                    continue
                values = _trim_trailing(values)
                if not values:
                    continue
                read += 1
                if limits is not None and read > limits.max_rows:
                    raise UploadRefused(
                        source_name, f"more than the {limits.max_rows:,} rows allowed", row=number
                    )
                if len(values) > width:
                    if limits is not None:
                        list(bounded_rows(iter([(number, values)]), source_name, limits,
                                          last_row=number, header=fields))  # fmt: skip
                    text = ",".join("" if v is None else v for v in values)
                    ragged.rows.append((number, len(values), width, text[:200]))
                    continue
                numbers.append(number)
                for i, col in enumerate(columns):
                    col.append(values[i] if i < len(values) else None)
                if len(numbers) >= size:
                    yield flush()
                    numbers, columns = [], [[] for _ in names]
            if numbers:
                yield flush()
        except UploadRefused as refused:
            ragged.refusal = refused

    return pa.RecordBatchReader.from_batches(schema, batches())


# Columns typed as text for Arrow's CSV reader (its column names f0, f1, ...): more than any
# published layout's width; a file with more columns takes the row-by-row reader.
ARROW_CSV_COLUMNS = 512


def _regular_csv(path: Path, after_row: int, width: int) -> pa.Table | None:
    """A UTF-8 CSV read by Arrow's reader in one pass (vectorised, tens of times faster than
    row by row), when it is regular: every record has the same number of cells, two or more,
    and none below the header has a non-blank cell beyond `width`. It gives what the row-by-row
    reader (`_csv_rows`, `text_batches`) gives for such a file: records numbered from 1 (blank
    lines skipped), empty cells missing, trailing blank cells missing, blank records skipped.
    Returns the text columns c1..c<width> and `_row` of the records below `after_row`, or None
    for any other file (the row-by-row reader reads it, and says what is wrong with it)."""
    types = {f"f{i}": pa.string() for i in range(ARROW_CSV_COLUMNS)}
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter(path, "utf-8-sig"),
                newlines_in_values=True,
                invalid_row_handler=lambda row: "error",
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, OSError):
        return None
    n = table.num_columns
    if n < 2 or n > ARROW_CSV_COLUMNS:
        return None
    columns = [c.combine_chunks() for c in table.columns]
    blank = [pc.fill_null(pc.equal(pc.utf8_trim_whitespace(c), ""), True) for c in columns]
    # trailing[j]: every cell from column j on is blank (the row-by-row reader drops them)
    trailing: list[pa.Array] = [blank[-1]]
    for b in reversed(blank[:-1]):
        trailing.append(pc.and_(b, trailing[-1]))
    trailing.reverse()
    numbers = pa.array(range(1, table.num_rows + 1), pa.int64())
    keep = pc.and_(pc.invert(trailing[0]), pc.greater(numbers, after_row))
    if n > width and pc.any(pc.and_(keep, pc.invert(trailing[width]))).as_py():
        return None  # ragged rows: the row-by-row reader records them
    out = [numbers]
    for i in range(width):
        if i < n:
            col = pc.if_else(trailing[i], pa.scalar(None, pa.string()), columns[i])
        else:
            col = pa.nulls(table.num_rows, pa.string())
        out.append(col)
    names = [ROW_COLUMN] + [f"c{i}" for i in range(1, width + 1)]
    return pa.Table.from_arrays(out, names=names).filter(keep)


def _table_batches(
    table: pa.Table,
    schema: pa.Schema,
    source_name: str,
    size: int,
    limits: UploadLimits | None,
    fields: list[str],
    ragged: Ragged,
) -> Iterator[pa.RecordBatch]:
    """`_regular_csv`'s rows as `text_batches` yields them, held to the same limits."""
    read = 0
    try:
        for batch in table.cast(schema).to_batches(max_chunksize=size):
            numbers = batch.column(0)
            if limits is not None:
                if read + batch.num_rows > limits.max_rows:
                    row = numbers[limits.max_rows - read].as_py()
                    raise UploadRefused(
                        source_name, f"more than the {limits.max_rows:,} rows allowed", row=row
                    )
                rows = numbers.to_pylist()
                check_text_columns(source_name, limits, batch.columns[1:], fields, rows.__getitem__)
            read += batch.num_rows
            yield batch
    except UploadRefused as refused:
        ragged.refusal = refused
