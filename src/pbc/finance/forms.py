"""The contract form: type, annual value, budget line (block contracts) and the activity plan.

The plan is entered as lines of text, one plan row a line, as pasted from a spreadsheet:
`YYYY-MM, point of delivery, treatment function, activity, value` (commas or tabs; the
treatment function may be empty). Every error names its line, on the plan field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from pbc.finance.models import FINANCIAL_YEAR_PATTERN, LINE_CHOICES, Contract
from pbc.orgs.models import Provider
from pbc.periods import months_of_year
from pbc.warehouse.datasets import IMAGING_POINTS_OF_DELIVERY, POINTS_OF_DELIVERY

# Community, mental health and other provider services are planned in contacts.
PLAN_POINTS_OF_DELIVERY = sorted(
    POINTS_OF_DELIVERY | IMAGING_POINTS_OF_DELIVERY | {"COMM", "MH", "OTH"}
)


@dataclass(frozen=True)
class PlanLine:
    month: dt.date
    point_of_delivery: str
    treatment_function_code: str
    activity: int
    value: Decimal


def plan_text(contract: Contract) -> str:
    return "\n".join(
        f"{p.month:%Y-%m}, {p.point_of_delivery}, {p.treatment_function_code}, {p.activity}, "
        f"{p.value}"
        for p in contract.plan.all()
    )


class ContractForm(forms.Form):
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.order_by("code"), to_field_name="code"
    )
    financial_year = forms.RegexField(
        regex=FINANCIAL_YEAR_PATTERN,
        error_messages={"invalid": "Give the financial year as 2008/09."},
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Contract.Kind.choices, label="Type")
    annual_value = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), label="Annual value (£)"
    )
    budget_line = forms.ChoiceField(
        choices=[("", "(charged by row)"), *LINE_CHOICES], required=False,
        label="Budget line (block contracts)",
    )  # fmt: skip
    plan = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        label="Activity plan",
        help_text="One row a line: YYYY-MM, point of delivery, treatment function, activity, "
        "value (£). Example: 2008-04, EL, 110, 120, 342000.00",
    )

    def clean_financial_year(self) -> str:
        value: str = self.cleaned_data["financial_year"]
        start, end = int(value[:4]), int(value[5:])
        if (start + 1) % 100 != end:
            raise forms.ValidationError("The two years must follow each other, as in 2008/09.")
        return value

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("kind") == Contract.Kind.BLOCK and not data.get("budget_line"):
            self.add_error(
                "budget_line", "A block contract needs the budget line it is charged to."
            )
        if "financial_year" in data and "plan" in self.cleaned_data:
            try:
                data["plan_lines"] = parse_plan(self.cleaned_data["plan"], data["financial_year"])
            except forms.ValidationError as err:
                self.add_error("plan", err)
        return data


def parse_plan(text: str, financial_year: str) -> list[PlanLine]:
    months = set(months_of_year(financial_year))
    lines: list[PlanLine] = []
    errors: list[str] = []
    seen: set[tuple[dt.date, str, str]] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in re.split(r"[,\t]", raw)]
        if len(parts) != 5:
            errors.append(f"Line {number}: give 5 values (month, point of delivery, treatment "
                          f"function, activity, value), not {len(parts)}.")  # fmt: skip
            continue
        month_text, pod, tf, activity_text, value_text = parts
        problems = []
        try:
            month = dt.date(int(month_text[:4]), int(month_text[5:7]), 1)
            if not re.fullmatch(r"\d{4}-\d{2}", month_text) or month not in months:
                raise ValueError
        except ValueError:
            problems.append(f"month {month_text!r} is not a month of {financial_year} (YYYY-MM)")
            month = dt.date(1900, 1, 1)
        if pod.upper() not in PLAN_POINTS_OF_DELIVERY:
            problems.append(f"point of delivery {pod!r} is not one of "
                            f"{', '.join(PLAN_POINTS_OF_DELIVERY)}")  # fmt: skip
        if tf and not re.fullmatch(r"\d{3}", tf):
            problems.append(f"treatment function {tf!r} is not a 3-digit code")
        if not re.fullmatch(r"\d+", activity_text):
            problems.append(f"activity {activity_text!r} is not a whole number of 0 or more")
        try:
            value = Decimal(value_text.replace("£", ""))
            if value < 0 or value != value.quantize(Decimal("0.01")) or value >= 10**12:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"value {value_text!r} is not an amount in pounds and pence")
            value = Decimal(0)
        key = (month, pod.upper(), tf)
        if not problems and key in seen:
            problems.append("the same month, point of delivery and treatment function twice")
        if problems:
            errors.append(f"Line {number}: " + "; ".join(problems) + ".")
            continue
        seen.add(key)
        lines.append(
            PlanLine(month, pod.upper(), tf, int(activity_text), value.quantize(Decimal("0.01")))
        )
    if errors:
        raise forms.ValidationError(errors)
    return lines
