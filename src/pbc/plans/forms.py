"""Forms of the plan pages: upload, milestone update, business cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms

from pbc.periods import parse_month
from pbc.plans.models import BusinessCase, Objective, Plan, Status
from pbc.plans.reading import DEFAULT_FINANCIAL_YEAR
from pbc.web.uploads import UploadField

SHA256 = r"^[0-9a-f]{64}$"


class UploadForm(forms.Form):
    file = UploadField(
        label="Plan document",
        help_text="A Word document (.docx), a spreadsheet (.xlsx) or a text export (.txt) with "
        "the columns Objective/Priority, Action, Milestones, Lead, Timescale and Outcome.",
    )
    financial_year = forms.RegexField(
        regex=r"^[0-9]{4}/[0-9]{2}$",
        initial=DEFAULT_FINANCIAL_YEAR,
        label="Financial year",
        help_text='For example "2008/09".',
        error_messages={"invalid": "Enter the financial year like 2008/09."},
    )

    def clean_financial_year(self) -> str:
        value: str = self.cleaned_data["financial_year"]
        if int(value[5:]) != (int(value[:4]) + 1) % 100:
            raise forms.ValidationError("The two years must follow each other, like 2008/09.")
        return value


class ConfirmImportForm(forms.Form):
    token = forms.RegexField(regex=SHA256, widget=forms.HiddenInput)
    filename = forms.CharField(max_length=255, widget=forms.HiddenInput)
    financial_year = forms.RegexField(regex=r"^[0-9]{4}/[0-9]{2}$", widget=forms.HiddenInput)


def month_choices(plan: Plan, today: dt.date) -> list[tuple[str, str]]:
    return [
        (m.strftime("%Y-%m"), m.strftime("%B %Y"))
        for m in plan.months()
        if m <= today.replace(day=1)
    ]


class MilestoneUpdateForm(forms.Form):
    month = forms.ChoiceField(label="Month reported on")
    status = forms.ChoiceField(choices=Status.choices, label="Status", widget=forms.RadioSelect)
    commentary = forms.CharField(
        label="Commentary", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    evidence_url = forms.URLField(
        label="Evidence link (optional)", required=False, assume_scheme="https"
    )
    private = forms.BooleanField(
        label="Keep this commentary private (left out of the public page)", required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, plan: Plan, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = month_choices(plan, today)
        self.fields["month"].choices = choices
        if choices and not self.initial.get("month"):
            self.initial["month"] = choices[-1][0]

    def clean_month(self) -> dt.date:
        return parse_month(self.cleaned_data["month"])


class BusinessCaseForm(forms.Form):
    ref = forms.SlugField(
        label="Reference", help_text="Short and unique, e.g. dacorum-physiotherapy-awp"
    )
    service = forms.CharField(max_length=300)
    objective = forms.ModelChoiceField(
        queryset=Objective.objects.none(), required=False, label="Plan objective"
    )
    annual_cost = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), label="Annual cost (£)"
    )
    expected_savings = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        initial=Decimal(0),
        label="Expected savings per year (£)",
    )
    population_covered = forms.IntegerField(min_value=1, label="Population covered (patients)")
    benefit_measure = forms.CharField(
        max_length=300, required=False, label="Expected benefit: what is measured"
    )
    expected_change_percent = forms.DecimalField(
        max_digits=6, decimal_places=1, required=False, label="Expected change (%)"
    )
    baseline_value = forms.DecimalField(
        max_digits=14, decimal_places=2, required=False, label="Baseline value"
    )

    def __init__(self, *args: Any, objectives: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["objective"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = objectives

    def clean_ref(self) -> str:
        ref: str = self.cleaned_data["ref"]
        if BusinessCase.objects.filter(ref=ref).exists():
            raise forms.ValidationError("A business case with this reference already exists.")
        return ref


class BusinessCaseChangeForm(forms.Form):
    CHOICES = [
        ("submit", "Submit to the Governance Subcommittee"),
        ("approve", "Record approval"),
        ("reject", "Record rejection"),
        ("implement", "Record implementation"),
        ("realised", "Record the realised benefit"),
    ]
    change = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
    on = forms.DateField(label="Date", help_text="For example 2008-04-29")
    decision_due_on = forms.DateField(label="Decision due (when submitting)", required=False)
    notes = forms.CharField(label="Decision notes", required=False, widget=forms.Textarea)
    value = forms.DecimalField(
        max_digits=14, decimal_places=2, required=False, label="Realised value"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("change") == "realised" and data.get("value") is None:
            self.add_error("value", "Enter the measured value.")
        if data.get("change") in ("approve", "reject") and not (data.get("notes") or "").strip():
            self.add_error("notes", "Record the decision notes.")
        return data
