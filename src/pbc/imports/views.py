"""The imports page: upload a file for a PCT analyst, list every import, download quarantines."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from pbc import exports
from pbc.imports.actions import may_download_quarantine, may_see_run, run_import, visible_runs
from pbc.imports.models import ImportRun
from pbc.orgs import audit
from pbc.orgs.roles import Permission
from pbc.refresh.queries import stale_steps
from pbc.warehouse import templates
from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.layouts import describe
from pbc.web.rules import requires
from pbc.web.uploads import UploadField, checked_upload


class UploadForm(forms.Form):
    dataset = forms.ChoiceField(
        choices=[(name, name) for name in sorted(DATASETS) if name != "faults"]
    )
    file = UploadField(
        help_text="CSV, XLSX, XLS or Parquet, in pbc's own layout or a published one (NHSBSA "
        "prescribing, NHS Digital list sizes, the ODS practice file, ...)."
    )
    layout = forms.ChoiceField(
        required=False,
        choices=[("", "Recognise it from the header")]
        + [(row["name"], f"{row['name']}: {row['title']}") for row in describe()],
        help_text="Leave it to be recognised from the file's header, or force one.",
    )
    period = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text="The month the file covers, as YYYY-MM (optional). Rows outside it are quarantined.",
        error_messages={"invalid": "Enter the month as YYYY-MM, for example 2008-12."},
    )


def _deny(request: HttpRequest, record: ImportRun, what: str) -> NoReturn:
    audit.record(request.user, "denied", record, detail=what, path=request.get_full_path())
    raise PermissionDenied(f"You cannot see this page: {what}.")


@requires(Permission.IMPORT_DATA)
def imports(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run, _ = run_import(
            request.user,
            form.cleaned_data["dataset"],
            checked_upload(upload),  # the upload's own file, named with its suffix
            period=form.cleaned_data["period"] or None,
            source_name=upload.name,
            via="upload",
            layout=form.cleaned_data["layout"] or None,
        )
        return redirect(reverse("import_run", args=[run.pk]))
    return render(
        request,
        "imports/imports.jinja",
        {
            "title": "Imports",
            "form": form,
            "dataset_items": [
                {"value": name, "text": name, "selected": name == form["dataset"].value()}
                for name, _label in form.fields["dataset"].choices
            ],
            "layout_items": [
                {"value": value, "text": text, "selected": value == (form["layout"].value() or "")}
                for value, text in form.fields["layout"].choices
            ],
            "returns": [
                {"name": ds.name, "description": ds.description} for ds in templates.returns()
            ],
            "runs": visible_runs(request.user).select_related("user")[:100],
            "stale_steps": stale_steps(),
            "breadcrumbs": [{"text": "Home", "href": reverse("home")}],
        },
        status=400 if form.errors else 200,
    )


@requires(Permission.IMPORT_DATA)
def return_template(request: HttpRequest, dataset: str, fmt: str) -> HttpResponse:
    """pbc's template of a periodic return: CSV (the header row) or XLSX (the header row, and
    a second sheet describing each column), written through the safe writer."""
    found = {ds.name: ds for ds in templates.returns()}.get(dataset)
    if found is None or fmt not in ("csv", "xlsx"):
        raise Http404("No such return template.")
    name = f"{found.name}-template.{fmt}"
    if fmt == "csv":
        response = HttpResponse(
            exports.csv_text([templates.header(found)]), content_type="text/csv"
        )
    else:
        book = exports.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "return"
        sheet.append(templates.header(found))
        columns = book.create_sheet("columns")
        for row in templates.guide(found):
            columns.append(row)
        response = HttpResponse(
            exports.xlsx_bytes(book),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires(Permission.IMPORT_DATA)
def import_run(request: HttpRequest, run: int) -> HttpResponse:
    record = get_object_or_404(ImportRun, pk=run)
    if not may_see_run(request.user, record):
        _deny(request, record, "an import made for another PCT")
    return render(
        request,
        "imports/import_run.jinja",
        {
            "title": f"Import of {record.source_name}",
            "run": record,
            "stale_steps": stale_steps(),
            "breadcrumbs": [
                {"text": "Home", "href": reverse("home")},
                {"text": "Imports", "href": reverse("imports")},
            ],
        },
    )


@requires(Permission.IMPORT_DATA)
def quarantine(request: HttpRequest, run: int) -> HttpResponse:
    """The quarantined rows of one import (they may hold NHS numbers: the view is audited)."""
    record = get_object_or_404(ImportRun, pk=run)
    if not may_download_quarantine(request.user, record):
        _deny(request, record, "quarantined rows of other commissioners")
    path = Path(record.quarantine_path) if record.quarantine_path else None
    if path is None or not path.is_file():
        raise Http404("This import quarantined no rows.")
    audit.record(request.user, "view_patient_rows", record, detail="quarantine file downloaded")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"quarantine-{record.pk}.csv")
