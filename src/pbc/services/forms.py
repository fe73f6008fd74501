"""Forms of the services pages."""

from __future__ import annotations

import datetime as dt

from django import forms

from pbc import periods
from pbc.periods import parse_month
from pbc.services.models import EnhancedService, ServiceSpecification, SurveyAction, SurveyResult
from pbc.web.uploads import UploadField

SHA256 = r"^[0-9a-f]{64}$"
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_HELP = "For example 2009-04-01 or 01/04/2009."
FILE_HELP = "A CSV file (.csv) or an Excel workbook (.xlsx) whose first row names the columns."


def _month(value: str) -> dt.date:
    try:
        return parse_month(value)
    except ValueError as error:
        raise forms.ValidationError("Enter the month like 2008-11.") from error


def _quarter(value: str) -> dt.date:
    try:
        return periods.quarter_start(value)
    except ValueError as error:
        raise forms.ValidationError("Enter the quarter like 2008/09 Q3.") from error


class ReturnUploadForm(forms.Form):
    contract = forms.TypedChoiceField(label="Service", coerce=int)
    month = forms.CharField(
        label="Month the return covers",
        help_text="For example 2008-11. For a quarterly return, any month of the quarter.",
        max_length=7,
    )
    file = UploadField(label="Return file", help_text=FILE_HELP)

    def __init__(self, *args: object, contracts: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["contract"].choices = contracts  # type: ignore[attr-defined]

    def clean_month(self) -> dt.date:
        return _month(self.cleaned_data["month"])


class ReturnConfirmForm(forms.Form):
    token = forms.RegexField(regex=SHA256, widget=forms.HiddenInput)
    filename = forms.CharField(max_length=255, widget=forms.HiddenInput)
    contract = forms.IntegerField(widget=forms.HiddenInput)
    month = forms.CharField(max_length=7, widget=forms.HiddenInput)
    accept = forms.BooleanField(label="Accept this return with the known problems listed")
    note = forms.CharField(
        label="Why accept it now",
        help_text="For example: the provider is correcting the NHS numbers at source.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def clean_month(self) -> dt.date:
        return _month(self.cleaned_data["month"])


class ClaimsUploadForm(forms.Form):
    quarter = forms.CharField(label="Quarter", help_text="For example 2008/09 Q3.", max_length=10)
    file = UploadField(
        label="Claims file",
        help_text=FILE_HELP + " Columns: gp_practice_code, service, units.",
    )

    def clean_quarter(self) -> dt.date:
        return _quarter(self.cleaned_data["quarter"])


class SurveyUploadForm(forms.Form):
    quarter = forms.CharField(label="Quarter", help_text="For example 2008/09 Q3.", max_length=10)
    file = UploadField(
        label="Survey results",
        help_text=FILE_HELP + " Columns: gp_practice_code, domain, responses, positive.",
    )

    def clean_quarter(self) -> dt.date:
        return _quarter(self.cleaned_data["quarter"])


class SurveyActionForm(forms.Form):
    domain = forms.ChoiceField(label="Domain", choices=SurveyResult.Domain.choices)
    practice = forms.ChoiceField(label="Practice", required=False)
    action = forms.CharField(label="Action taken", widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.CharField(label="Owner", max_length=150)

    def __init__(self, *args: object, practices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["practice"].choices = [("", "The whole locality"), *practices]  # type: ignore[attr-defined]


class SurveyActionStatusForm(forms.Form):
    action_id = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=SurveyAction.Status.choices)
    reported_to_board_on = forms.DateField(required=False, label="Reported to the board on")


def _financial_year(value: str) -> str:
    value = value.strip()
    try:
        periods.year_start(value)
    except ValueError as error:
        raise forms.ValidationError("Enter the financial year like 2009/10.") from error
    return value


class SignUpForm(forms.Form):
    """Sign a practice up to a service's specification for a financial year."""

    service = forms.ChoiceField(label="Service")
    financial_year = forms.ChoiceField(label="Financial year")
    signed_on = forms.DateField(
        label="Signed up on", help_text=DATE_HELP, input_formats=DATE_FORMATS
    )

    def __init__(self, *args: object, years: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["service"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a service"),
            *EnhancedService.objects.values_list("key", "name"),
        ]
        self.fields["financial_year"].choices = [(y, y) for y in years]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        key, year = data.get("service"), data.get("financial_year")
        if key and year:
            spec = (
                ServiceSpecification.objects.filter(service__key=key, financial_year=year)
                .select_related("service")
                .first()
            )
            if spec is None:
                name = EnhancedService.objects.get(key=key).name
                self.add_error("financial_year", f"{name} has no specification for {year}.")
            else:
                data["specification"] = spec
        return data


class WithdrawForm(forms.Form):
    """Withdraw a practice from a service it signed up to."""

    sign_up = forms.TypedChoiceField(label="Service to withdraw from", coerce=int)
    withdrawn_on = forms.DateField(
        label="Withdrawn on", help_text=DATE_HELP, input_formats=DATE_FORMATS
    )

    def __init__(self, *args: object, sign_ups: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["sign_up"].choices = [("", "Choose a service"), *sign_ups]  # type: ignore[attr-defined]


class SpecificationForm(forms.Form):
    """A service's specification for one financial year (PCT analysts)."""

    service = forms.ChoiceField(label="Service")
    financial_year = forms.CharField(
        label="Financial year", help_text="For example 2009/10.", max_length=7
    )
    unit = forms.CharField(
        label="Unit of activity", help_text="What one unit paid for is.", max_length=200
    )
    price_per_unit = forms.DecimalField(
        label="Price per unit (£)", max_digits=10, decimal_places=2, min_value=0
    )
    cap_per_quarter = forms.IntegerField(
        label="Cap a quarter",
        help_text="The most units one practice may claim in a quarter. Leave blank for none.",
        required=False,
        min_value=0,
    )
    target_per_quarter = forms.IntegerField(
        label="Target a quarter",
        help_text="Units each signed-up practice is expected to deliver. Leave blank for none.",
        required=False,
        min_value=0,
    )
    reporting_frequency = forms.ChoiceField(
        label="Reporting frequency", choices=ServiceSpecification.Frequency.choices
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["service"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a service"),
            *EnhancedService.objects.values_list("key", "name"),
        ]

    def clean_financial_year(self) -> str:
        return _financial_year(self.cleaned_data["financial_year"])
