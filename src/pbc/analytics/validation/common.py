"""Shared pieces of the rules: the input tables, the NHS number check, and the finding shape.

Every rule returns rows of one shape (`FINDING_SCHEMA`), one row per flagged activity row:

| column | meaning |
| --- | --- |
| rule_id, dataset, row_id | the stable key back to the warehouse row (spell_id / attendance_id) |
| nhs_number | the patient (patient-level detail; shown only to those allowed) |
| gp_practice_code, provider_code, commissioner_code | who reviews it, who is challenged, who paid |
| activity_date | admission, attendance or arrival date |
| month | first day of the invoice month (discharge / attendance / arrival month) |
| charged_price | what the provider charged for the row |
| amount | the money at stake: what the commissioner would not pay if the finding stands; 0.00 when the rule is not in force on the row's invoice date |
| in_force | the rule applies on the invoice date (a challenge); false = information only |
| detail | why the row was flagged, in words, where the rule says more than its title (else null) |
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from pbc.analytics.costing import MONEY
from pbc.analytics.validation.settings import Period

ID_COLUMN = {"apc": "spell_id", "op": "attendance_id", "ae": "attendance_id"}
ACTIVITY_DATE = {"apc": "admission_date", "op": "attendance_date", "ae": "arrival_date"}
INVOICE_DATE = {"apc": "discharge_date", "op": "attendance_date", "ae": "arrival_date"}
ELECTIVE_METHODS = ("11", "12", "13")
EMERGENCY_METHODS = ("21", "22", "23", "24", "28", "2A", "2B", "2C", "2D")
MATERNITY_METHODS = ("31", "32")
FIRST_ATTENDANCES = ("1", "3")
FOLLOW_UPS = ("2", "4")
ATTENDED = ("5", "6")

FINDING_SCHEMA = ibis.schema(
    {
        "rule_id": "string",
        "dataset": "string",
        "row_id": "string",
        "nhs_number": "string",
        "gp_practice_code": "string",
        "provider_code": "string",
        "commissioner_code": "string",
        "activity_date": "date",
        "month": "date",
        "charged_price": MONEY,
        "amount": MONEY,
        "in_force": "boolean",
        "detail": "string",
    }
)


@dataclass(frozen=True)
class Inputs:
    """The warehouse tables the rules read (names and columns as in `pbc.warehouse.datasets`)."""

    apc: ir.Table
    op: ir.Table
    ae: ir.Table
    patients: ir.Table
    practices: ir.Table
    tariff: ir.Table
    market_forces_factors: ir.Table
    follow_up_caps: ir.Table
    # The providers' invoice lines (`invoice_lines`): the invoice reconciliation rules read
    # them; None (no invoices) finds nothing for those rules.
    invoice_lines: ir.Table | None = None
    # The unbundled scans (`imaging`) the IMG invoice lines charge: with it, an IMG line
    # charging no scan is an invoice line without activity; None: IMG lines are not judged.
    imaging: ir.Table | None = None
    # The spells costed at tariff, as the charging rules read them (`charging_rules.costed`),
    # when worked out once for every rule (`run.shared_inputs`); None: each rule costs them.
    costed_apc: ir.Table | None = None

    def activity(self, dataset: str) -> ir.Table:
        table: ir.Table = getattr(self, dataset)
        return table


def valid_nhs_number(value: ir.StringValue) -> ir.BooleanValue:
    """`pbc.codes.is_valid_nhs_number` as an expression: ten digits after removing spaces and
    dashes, not all the same digit, last digit the modulus 11 check digit. Null is invalid.

    Prefer `with_nhs_check` on a table: it computes the cleaned number once (this expression
    repeats it in each digit, which makes a large query)."""
    s = value.re_replace(r"[\s\-]", "")
    shaped = s.re_search(r"^[0-9]{10}$").fill_null(False)
    return (shaped & _checksum_ok(ibis.ifelse(shaped, s, ibis.literal("0000000000")))).fill_null(
        False
    )


def _checksum_ok(safe: ir.StringValue) -> ir.BooleanValue:
    digits = [safe.substr(i, 1).cast("int64") for i in range(10)]
    total = digits[0] * 10
    for i in range(1, 9):
        total = total + digits[i] * (10 - i)
    check = 11 - total % 11
    check = ibis.ifelse(check == 11, 0, check)
    same = safe == safe.substr(0, 1).repeat(10)
    return (check != 10) & (check == digits[9]) & ~same


def with_nhs_check(table: ir.Table, name: str = "_nhs_ok") -> ir.Table:
    """`table` with a boolean column `name`: the NHS number is valid (see `valid_nhs_number`).
    Computed in stages so each piece appears once in the query: only numbers that are not
    already ten digits go through the (slower) clean-up; the ten digits are then read as one
    whole number, whose digits are integer arithmetic (cheaper than ten substrings: this runs
    on every activity row). All the same digit: a multiple of 1111111111. A table that has the
    column already (`cached_inputs` checks each row once) is returned as it is."""
    if name in table.columns:
        return table
    raw = table.nhs_number
    direct = raw.re_search(r"^[0-9]{10}$").fill_null(False)
    cleaned = raw.re_replace(r"[\s\-]", "")
    shaped = direct | cleaned.re_search(r"^[0-9]{10}$").fill_null(False)
    digits_text = ibis.ifelse(direct, raw, cleaned)
    t1 = table.mutate(_nhs_n=ibis.ifelse(shaped, digits_text, ibis.null("string")).cast("int64"))
    number = t1._nhs_n
    total = ibis.literal(0)
    for i in range(9):  # the first nine digits, weighted 10 down to 2
        total = total + ((number // 10 ** (9 - i)) % 10) * (10 - i)
    t2 = t1.mutate(_nhs_rem=11 - total % 11)
    check = ibis.ifelse(t2._nhs_rem == 11, 0, t2._nhs_rem)
    ok = (check != 10) & (check == t2._nhs_n % 10) & (t2._nhs_n % 1111111111 != 0)
    t3 = t2.mutate(**{name: ok.fill_null(False)})
    return t3.drop("_nhs_n", "_nhs_rem")


def in_force(day: ir.DateValue, periods: tuple[Period, ...]) -> ir.BooleanValue:
    """True when `day` lies in one of the periods."""
    result: ir.BooleanValue = ibis.literal(False)
    for period in periods:
        cond: ir.BooleanValue = ibis.literal(True)
        if period.start is not None:
            cond = cond & (day >= ibis.literal(period.start))
        if period.end is not None:
            cond = cond & (day <= ibis.literal(period.end))
        result = result | cond
    return result


def zero() -> ir.DecimalScalar:
    return ibis.literal(0).cast(MONEY)


def positive(amount: ir.DecimalValue) -> ir.DecimalValue:
    """max(amount, 0) as money; a missing amount counts as 0."""
    money = amount.cast(MONEY).fill_null(zero())
    return ibis.ifelse(money > zero(), money, zero())


def findings(
    rows: ir.Table,
    rule_id: str,
    dataset: str,
    periods: tuple[Period, ...],
    amount: ir.DecimalValue | None = None,
    detail: ir.StringValue | None = None,
) -> ir.Table:
    """Project flagged activity rows to the finding shape. `amount` defaults to the whole
    charged price (the row should not be paid at all); it is 0.00 outside the rule's dates.
    `detail`: the reason in words, where the rule gives one."""
    invoice = rows[INVOICE_DATE[dataset]]
    charged = rows.charged_price.cast(MONEY)
    stake = positive(charged if amount is None else amount)
    active = in_force(invoice, periods)
    return rows.select(
        rule_id=ibis.literal(rule_id, type=dt.string),
        dataset=ibis.literal(dataset, type=dt.string),
        row_id=rows[ID_COLUMN[dataset]].cast("string"),
        nhs_number=rows.nhs_number.cast("string"),
        gp_practice_code=rows.gp_practice_code.cast("string"),
        provider_code=rows.provider_code.cast("string"),
        commissioner_code=rows.commissioner_code.cast("string"),
        activity_date=rows[ACTIVITY_DATE[dataset]].cast("date"),
        month=invoice.truncate("M").cast("date"),
        charged_price=charged,
        amount=ibis.ifelse(active, stake, zero()),
        in_force=active,
        detail=ibis.null(dt.string) if detail is None else detail.cast("string"),
    )
