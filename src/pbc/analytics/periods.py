"""The calendar of `pbc.periods` as Ibis column expressions, for any engine.

The same rules as the pure Python value types: a financial year runs from April to March and is
written "2008/09"; months are counted on one scale (`month_index`) so that month arithmetic is
integer arithmetic.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def fy_start_year(date: ir.DateValue) -> ir.IntegerValue:
    """2008 for any date from 1 April 2008 to 31 March 2009."""
    return ibis.ifelse(date.month() >= 4, date.year(), date.year() - 1).cast("int32")


def fy_label(start: ir.IntegerValue) -> ir.StringValue:
    """'2008/09' from 2008."""
    end = (start + 1) % 100
    return start.cast("string") + "/" + end.cast("string").lpad(2, "0")


def financial_year_of(date: ir.DateValue) -> ir.StringValue:
    """'2008/09' for any date from 1 April 2008 to 31 March 2009."""
    return fy_label(fy_start_year(date))


def fy_label_start_year(label: ir.StringValue) -> ir.IntegerValue:
    """2008 from '2008/09'."""
    return label.substr(0, 4).cast("int32")


def month_index(date: ir.DateValue) -> ir.IntegerValue:
    """Months counted on one scale (year × 12 + month): consecutive months differ by 1."""
    return date.year().cast("int64") * 12 + date.month().cast("int64")


def add_months(date: ir.DateValue, months: int) -> ir.DateValue:
    """The first day of the month `months` after the month of `date`."""
    index = month_index(date) - 1 + months
    return ibis.date((index // 12).cast("int32"), (index % 12 + 1).cast("int32"), 1)
