from __future__ import annotations

from django import forms

from pbc.orgs.models import Practice


class PracticeForm(forms.ModelForm):
    """Add a practice: the ODS code's shape and uniqueness are checked field by field."""

    class Meta:
        model = Practice
        fields = ["code", "name"]
        labels = {"code": "ODS code", "name": "Practice name"}
        help_texts = {"code": "One capital letter then five digits, for example E82001."}

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip().upper()
        existing = Practice.objects.filter(code=code).select_related("locality").first()
        if existing is not None:
            raise forms.ValidationError(
                f"A practice with ODS code {code} already exists: {existing.name}, "
                f"{existing.locality.name} locality."
            )
        return code
