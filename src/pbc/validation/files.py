"""Challenge schedules out (CSV, XLSX) and provider responses in (the same columns, filled in).

The schedule identifies each row by the provider's own key (spell or attendance id), never by
NHS number: locality managers who export it see aggregates only, and the provider can find its
own rows. The provider fills `response` (agreed / disputed), `response_reason` and optionally
`amount_agreed` (a partial agreement), and uploads the file back.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from pbc.analytics.validation import RULES
from pbc.exports import Workbook, csv_text, xlsx_bytes
from pbc.uploads import Source, UploadLimits, UploadRefused, read_rows
from pbc.validation.actions import ResponseRow
from pbc.validation.models import Finding

COLUMNS = (
    "finding",
    "provider_code",
    "practice_code",
    "month",
    "rule",
    "dataset",
    "row_id",
    "activity_date",
    "charged_price",
    "amount_challenged",
    "reason",
    "response",
    "response_reason",
    "amount_agreed",
)


class ResponseFileError(Exception):
    """The uploaded file cannot be read as a response file."""


def schedule_rows(findings: Iterable[Finding]) -> list[list[Any]]:
    rows = []
    for f in findings:
        rule = RULES.get(f.rule_id)
        rows.append(
            [
                f.key,
                f.provider_code,
                f.practice_code,
                f.month.strftime("%Y-%m"),
                rule.title if rule else f.rule_id,
                f.dataset,
                f.row_id,
                f.activity_date.isoformat(),
                f.charged_price,
                f.challenged_amount,
                f.reason,
                "",
                "",
                "",
            ]
        )
    return rows


def schedule_csv(findings: Iterable[Finding]) -> str:
    return csv_text([COLUMNS, *schedule_rows(findings)])


def schedule_xlsx(findings: Iterable[Finding], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Challenges"
    ws.append([title])
    ws.append(list(COLUMNS))
    for row in schedule_rows(findings):
        ws.append(row)
        for cell in ws[ws.max_row][8:10]:
            cell.number_format = "#,##0.00"
    return xlsx_bytes(wb)


def _rows_from_table(table: list[list[Any]]) -> list[ResponseRow]:
    header_at = next(
        (i for i, r in enumerate(table) if r and str(r[0] or "").strip().lower() == "finding"),
        None,
    )
    if header_at is None:
        raise ResponseFileError("no header row starting with 'finding' was found")
    header = [str(c or "").strip().lower() for c in table[header_at]]
    missing = [c for c in ("finding", "response") if c not in header]
    if missing:
        raise ResponseFileError(f"missing columns: {', '.join(missing)}")
    col = {name: i for i, name in enumerate(header)}

    def cell(row: list[Any], name: str) -> str:
        i = col.get(name)
        if i is None or i >= len(row) or row[i] is None:
            return ""
        return str(row[i]).strip()

    out = []
    for offset, row in enumerate(table[header_at + 1 :], start=header_at + 2):
        if not any(str(c or "").strip() for c in row):
            continue
        amount_text = cell(row, "amount_agreed").replace("£", "").replace(",", "")
        try:
            amount = Decimal(amount_text).quantize(Decimal("0.01")) if amount_text else None
        except InvalidOperation:
            raise ResponseFileError(
                f"line {offset}: amount_agreed {amount_text!r} is not a number"
            ) from None
        response = cell(row, "response").lower()
        if not response:
            continue  # not answered yet: the provider may answer part of a schedule
        out.append(
            ResponseRow(
                line=offset,
                finding_key=cell(row, "finding"),
                response=response,
                reason=cell(row, "response_reason"),
                amount_agreed=amount,
            )
        )
    return out


def read_response_file(
    name: str, source: Source, limits: UploadLimits | None = None
) -> list[ResponseRow]:
    """The answered rows of a response file (CSV or XLSX; a path or the file's bytes), read
    through the bounded upload path (`pbc.uploads.read_rows`)."""
    try:
        table = [cells for _, cells in read_rows(source, name, limits or UploadLimits())]
    except UploadRefused as refused:
        raise ResponseFileError(str(refused)) from None
    return _rows_from_table(table)
