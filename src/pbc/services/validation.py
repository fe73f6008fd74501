"""Checking an uploaded table against a return template, cell by cell.

`validate(template, table, period, practices, locality_name)` names every problem: the header
(missing, duplicated or unknown columns: these block acceptance) and every bad cell, with its
spreadsheet row, column and the reason; a value in a column with no heading (beyond the last
named column) is a bad cell too, never silently dropped. Nothing here writes anything; `actions.submit_return`
stores a return only as a whole.

Values are parsed into Python types (dates, datetimes, Decimal money, int, bool, normalised
codes); `to_json` / `from_json` convert them for the database and back.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pbc import codes, periods
from pbc.services.return_templates import Column, ReturnTemplate
from pbc.services.tabular import Table


@dataclass(frozen=True)
class CellProblem:
    row: int  # spreadsheet row (the header is row 1)
    column: str
    value: str
    reason: str
    cell: str = ""  # e.g. "D7"
    blocking: bool = False  # cannot be accepted even with known problems

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"row {self.row}, {self.column}" + (f" ({self.cell})" if self.cell else "")
        shown = f" '{self.value}'" if self.value else ""
        return f"{where}:{shown} {self.reason}"


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]
    problems: list[CellProblem] = field(default_factory=list)


@dataclass
class Validation:
    template: ReturnTemplate
    period: dt.date
    period_end: dt.date
    header_problems: list[CellProblem]
    rows: list[ParsedRow]

    @property
    def problems(self) -> list[CellProblem]:
        return self.header_problems + [p for r in self.rows for p in r.problems]

    @property
    def clean(self) -> bool:
        return not self.problems

    @property
    def acceptable(self) -> bool:
        """May be accepted with known problems (nothing blocking)."""
        return not any(p.blocking for p in self.problems)


class CellError(ValueError):
    pass


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def normalise_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def normalise_choice(value: str) -> str:
    text = value.strip().lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def period_of(template: ReturnTemplate, period: dt.date) -> tuple[dt.date, dt.date]:
    if template.frequency == "quarterly":
        start = periods.quarter_of(period)
        return start, periods.quarter_end(start)
    start = period.replace(day=1)
    return start, periods.month_end(start)


def period_label(template: ReturnTemplate, period: dt.date) -> str:
    if template.frequency == "quarterly":
        return periods.quarter_label(period)
    return period.strftime("%B %Y")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError("is not a date (write it as YYYY-MM-DD or DD/MM/YYYY)")


def parse_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(second=0, microsecond=0)
    text = _text(value)
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise CellError("is not a date and time (write it as YYYY-MM-DD HH:MM)")


def parse_money(value: object) -> Decimal:
    text = _text(value).replace("£", "").replace(",", "")
    if isinstance(value, float):
        text = repr(value)
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise CellError("is not an amount of money in pounds") from error
    if not amount.is_finite():
        raise CellError("is not an amount of money in pounds")
    if amount < 0:
        raise CellError("is negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError("has more than two decimal places (pence)")
    return amount.quantize(Decimal("0.01"))


def parse_integer(value: object) -> int:
    if isinstance(value, bool):
        raise CellError("is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = _text(value)
        if not re.fullmatch(r"-?\d+", text):
            raise CellError("is not a whole number")
        number = int(text)
    if number < 0:
        raise CellError("is negative")
    return number


def parse_cell(column: Column, value: object, context: dict[str, Any]) -> Any:
    """The parsed value, or `CellError` saying why the cell is wrong. Blank cells are None."""
    text = _text(value)
    if not text:
        if column.required:
            raise CellError("is missing")
        return None
    kind = column.kind
    if kind == "nhs_number":
        digits = codes.normalise_nhs_number(text)
        if not codes.is_valid_nhs_number(digits):
            raise CellError("is not a valid NHS number (ten digits passing the modulus 11 check)")
        return digits
    if kind == "date":
        day = parse_date(value)
        if column.name == "date_of_birth":
            if day > context["period_end"]:
                raise CellError("is after the end of the return's period")
            if day.year < 1890:
                raise CellError("is before 1890")
        return _in_period(column, day, day, context)
    if kind == "datetime":
        moment = parse_datetime(value)
        return _in_period(column, moment.date(), moment, context)
    if kind == "choice":
        choice = normalise_choice(text)
        if choice not in column.choices:
            raise CellError("is not a known code: use one of " + ", ".join(column.choices))
        return choice
    if kind == "practice":
        code = text.upper()
        if not codes.is_practice_code(code):
            raise CellError("is not a GP practice code (a letter then five digits)")
        if code not in context["practices"]:
            raise CellError(f"is not a practice of {context['locality_name']}: unknown practice")
        return code
    if kind == "money":
        return parse_money(value)
    if kind == "integer":
        return parse_integer(value)
    if kind == "yes_no":
        answer = text.lower()
        if answer in ("y", "yes", "true", "1"):
            return True
        if answer in ("n", "no", "false", "0"):
            return False
        raise CellError("must be Y or N")
    if kind == "code":
        code = text.upper()
        if not re.fullmatch(column.pattern, code):
            raise CellError(
                f"is not a valid {column.label} code" + (f" ({column.help})" if column.help else "")
            )
        return code
    if len(text) > 1000:
        raise CellError("is longer than 1,000 characters")
    return text


def _in_period(column: Column, day: dt.date, value: Any, context: dict[str, Any]) -> Any:
    if column.in_period and not context["period"] <= day <= context["period_end"]:
        raise CellError(f"is not in {context['period_label']}, the period of this return")
    return value


def check_header(
    template: ReturnTemplate, header: list[str]
) -> tuple[list[CellProblem], dict[str, int]]:
    problems: list[CellProblem] = []
    positions: dict[str, int] = {}
    expected = set(template.column_names)
    for index, raw in enumerate(header):
        name = normalise_header(raw)
        cell = f"{column_letter(index)}1"
        if name in positions:
            problems.append(CellProblem(1, raw, raw, "is a repeated column", cell, blocking=True))
        elif name not in expected:
            problems.append(
                CellProblem(1, raw or "(blank)", raw, "is not a column of this return", cell, True)
            )
        else:
            positions[name] = index
    for column in template.columns:
        if column.name not in positions:
            problems.append(
                CellProblem(1, column.name, "", f"column is missing ({column.label})", "", True)
            )
    return problems, positions


def validate(
    template: ReturnTemplate,
    table: Table,
    period: dt.date,
    practices: frozenset[str],
    locality_name: str,
) -> Validation:
    start, end = period_of(template, period)
    context = {
        "period": start,
        "period_end": end,
        "period_label": period_label(template, start),
        "practices": practices,
        "locality_name": locality_name,
    }
    header_problems, positions = check_header(template, table.header)
    if not table.rows:
        header_problems.append(
            CellProblem(2, "", "", "the return has no rows (a nil return needs a note)")
        )
    rows: list[ParsedRow] = []
    seen: dict[tuple[Any, ...], int] = {}
    for number, cells in table.rows:
        parsed = ParsedRow(number, {})
        raw: dict[str, str] = {}
        for column in template.columns:
            index = positions.get(column.name)
            if index is None:
                parsed.values[column.name] = None
                continue
            value = cells[index]
            raw[column.name] = _text(value)
            try:
                parsed.values[column.name] = parse_cell(column, value, context)
            except CellError as error:
                parsed.values[column.name] = None
                parsed.problems.append(
                    CellProblem(
                        number,
                        column.name,
                        _text(value),
                        str(error),
                        f"{column_letter(index)}{number}",
                    )
                )
        for index in range(len(table.header), len(cells)):
            text = _text(cells[index])
            if text:
                letter = column_letter(index)
                parsed.problems.append(
                    CellProblem(
                        number,
                        f"(no heading, column {letter})",
                        text,
                        "is in a column with no heading: name the column or remove the value",
                        f"{letter}{number}",
                    )
                )
        bad = {p.column for p in parsed.problems}
        for check in template.row_checks:
            for column_name, reason in check(parsed.values):
                if column_name in bad:
                    continue
                index = positions.get(column_name)
                cell = f"{column_letter(index)}{number}" if index is not None else ""
                parsed.problems.append(
                    CellProblem(number, column_name, raw.get(column_name, ""), reason, cell)
                )
        # A cell that fails a check across the row is a bad cell like any other: blank, so a
        # return accepted with known problems never reports a value known to be wrong.
        for problem in parsed.problems:
            if problem.column in parsed.values:
                parsed.values[problem.column] = None
        if template.unique:
            key = tuple(parsed.values.get(c) for c in template.unique)
            if all(k is not None for k in key):
                if key in seen:
                    first = template.unique[0]
                    index = positions.get(first)
                    parsed.problems.append(
                        CellProblem(
                            number,
                            first,
                            raw.get(first, ""),
                            f"repeats row {seen[key]}",
                            f"{column_letter(index)}{number}" if index is not None else "",
                        )
                    )
                else:
                    seen[key] = number
        rows.append(parsed)
    return Validation(template, start, end, header_problems, rows)


def to_json(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dt.datetime | dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def from_json(template: ReturnTemplate, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in template.columns:
        value = values.get(column.name)
        if value is None:
            out[column.name] = None
        elif column.kind == "date":
            out[column.name] = dt.date.fromisoformat(value)
        elif column.kind == "datetime":
            out[column.name] = dt.datetime.fromisoformat(value)
        elif column.kind == "money":
            out[column.name] = Decimal(value)
        else:
            out[column.name] = value
    return out
