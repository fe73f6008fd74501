"""Where the real published samples are (`shared/real-samples/`, beside the repository), and
small helpers to write variants of them (other encodings, workbooks)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def samples_dir() -> Path:
    """`shared/real-samples` beside the repository (or beside a folder holding it: a git
    worktree). Missing samples fail the tests that need them, loudly."""
    for parent in [ROOT, *ROOT.parents]:
        candidate = parent / "shared" / "real-samples"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no shared/real-samples beside {ROOT} or its parents")


def sample(relative: str) -> Path:
    path = samples_dir() / relative
    assert path.is_file(), path
    return path


def read_rows(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return [r for r in csv.reader(fh) if r]


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    title_rows: Sequence[str] = (),
    before: Sequence[tuple[str, Sequence[Sequence[object]]]] = (),
) -> Path:
    """A workbook with `before` sheets first, then a sheet of `title_rows` and `rows`."""
    from openpyxl import Workbook

    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for name, other in before:
        ws = wb.create_sheet(name)
        for r in other:
            ws.append(list(r))
    ws = wb.create_sheet("Data")
    for title in title_rows:
        ws.append([title])
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def write_xls(path: Path, rows: Sequence[Sequence[object]], title_rows: Sequence[str] = ()) -> Path:
    """A legacy .xls workbook (numbers that look like numbers written as numbers)."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Data")
    r = 0
    for title in title_rows:
        sheet.write(r, 0, title)
        r += 1
    for row in rows:
        for c, value in enumerate(row):
            sheet.write(r, c, _number(value))
        r += 1
    book.save(str(path))
    return path


def _number(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text) if text.isdigit() and not text.startswith("0") else float(text)
        except ValueError:
            return value
    return value
