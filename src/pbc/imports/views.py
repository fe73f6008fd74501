"""The imports page for a PCT analyst: upload a file, see what importing it would do (a
preview: the partitions it would replace and the rows they hold now, its quarantine), confirm
it; list every import; download quarantines; start a refresh and follow its progress.

The upload goes through the one bounded upload path (`pbc.web.uploads`: `UploadField`, then
`keep` for the confirmation step, as a plan's preview does); the preview is a dry run of the
import itself (`pbc.imports.actions.preview_import`), so it refuses what the import would.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from pbc import exports
from pbc.imports.actions import (
    may_download_quarantine,
    may_see_run,
    preview_import,
    run_import,
    visible_runs,
)
from pbc.imports.models import ImportRun
from pbc.orgs import audit
from pbc.orgs.roles import Permission
from pbc.refresh import background
from pbc.refresh.queries import stale_steps
from pbc.uploads import UploadRefused
from pbc.warehouse import templates
from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.ingest import quarantine_summary
from pbc.warehouse.layouts import describe
from pbc.warehouse.titles import label_of
from pbc.web.rules import requires
from pbc.web.uploads import UploadField, checked_upload, discard, keep, kept, named_like

KEPT = "imports"  # the purpose under which a previewed upload waits for its confirmation


class UploadForm(forms.Form):
    dataset = forms.ChoiceField(
        choices=sorted(
            ((name, label_of(name)) for name in DATASETS if name != "faults"),
            key=lambda choice: choice[1].lower(),
        )
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


class ConfirmForm(forms.Form):
    """The confirmation of a previewed import: the kept upload's token and the choices the
    preview was made with (checked again as the upload form checks them)."""

    token = forms.RegexField(regex=r"^[0-9a-f]{64}$")
    source_name = forms.CharField(max_length=500)
    dataset = UploadForm.base_fields["dataset"]
    layout = UploadForm.base_fields["layout"]
    period = UploadForm.base_fields["period"]


def _deny(request: HttpRequest, record: ImportRun, what: str) -> NoReturn:
    audit.record(request.user, "denied", record, detail=what, path=request.get_full_path())
    raise PermissionDenied(f"You cannot see this page: {what}.")


def _crumbs() -> list[dict[str, str]]:
    return [
        {"text": "Home", "href": reverse("home")},
        {"text": "Imports", "href": reverse("imports")},
    ]


@requires(Permission.IMPORT_DATA)
def imports(request: HttpRequest) -> HttpResponse:
    """The upload form and the recent imports. A valid upload is not imported yet: the page
    that answers is its preview, with the confirmation (`import_confirm`); a file the import
    would refuse is recorded as refused, changing nothing, and its record shown."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = checked_upload(upload)  # the upload's own file, named with its suffix
        choices = {
            "dataset": form.cleaned_data["dataset"],
            "period": form.cleaned_data["period"] or None,
            "layout": form.cleaned_data["layout"] or None,
        }
        preview, refusal = preview_import(
            request.user,
            choices["dataset"],
            path,
            period=choices["period"],
            source_name=upload.name,
            layout=choices["layout"],
        )
        if preview is None:
            run, _ = run_import(
                request.user, choices["dataset"], path, source_name=upload.name, via="upload",
                period=choices["period"], layout=choices["layout"],
            )  # fmt: skip
            return redirect(reverse("import_run", args=[run.pk]))
        try:
            token = keep(path, KEPT, request.user, upload.name)
        except UploadRefused as refused:  # the user's quota of kept files (ASVS 12.1.3)
            token = ""
            form.add_error("file", f"{refused}.")
    if request.method == "POST" and form.is_valid():
        return render(
            request,
            "imports/preview.jinja",
            {
                "title": f"Check the import of {upload.name}",
                "preview": preview,
                "source_name": upload.name,
                "confirm": {
                    "token": token,
                    "source_name": upload.name,
                    "dataset": choices["dataset"],
                    "layout": choices["layout"] or "",
                    "period": choices["period"] or "",
                },
                "breadcrumbs": _crumbs(),
            },
        )
    return render(
        request,
        "imports/imports.jinja",
        {
            "title": "Imports",
            "form": form,
            "dataset_items": [
                {"value": name, "text": label, "selected": name == form["dataset"].value()}
                for name, label in form.fields["dataset"].choices
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
            "refresh": background.status(),
            "breadcrumbs": [{"text": "Home", "href": reverse("home")}],
        },
        status=400 if form.errors else 200,
    )


@requires(Permission.IMPORT_DATA)
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the previewed file (kept since its preview) with the choices it was previewed
    with (POST, from the preview's form); the kept copy is deleted once imported. A preview
    whose file has expired (`PBC_UPLOAD_KEEP_SECONDS`) or a cancelled one changes nothing.
    A GET has nothing to confirm: it is the imports page."""
    if request.method != "POST":
        return imports(request)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The confirmation was not valid: upload the file again.")
        return redirect("imports")
    token = form.cleaned_data["token"]
    if "cancel" in request.POST:
        discard(KEPT, token, request.user)
        messages.info(
            request, f"Import of {form.cleaned_data['source_name']} cancelled: nothing changed."
        )
        return redirect("imports")
    path = kept(KEPT, token, request.user)
    if path is None:
        messages.error(
            request, "The previewed file is no longer kept (it expires): upload it again."
        )
        return redirect("imports")
    name = form.cleaned_data["source_name"]
    with named_like(path, name) as file:
        run, _ = run_import(
            request.user,
            form.cleaned_data["dataset"],
            file,
            period=form.cleaned_data["period"] or None,
            source_name=name,
            via="upload",
            layout=form.cleaned_data["layout"] or None,
        )
    discard(KEPT, token, request.user)
    return redirect(reverse("import_run", args=[run.pk]))


@requires(Permission.IMPORT_DATA)
def refresh(request: HttpRequest) -> HttpResponse:
    """Start `pbc refresh` (POST) and follow it (GET): the page reloads itself every few
    seconds while it runs, each completed step listed."""
    if request.method == "POST":
        if background.start(request.user):
            audit.record(request.user, "refresh", detail="pbc refresh started from the web")
        else:
            messages.info(request, "A refresh is already running: its progress is below.")
        return redirect("import_refresh")
    state = background.status()
    return render(
        request,
        "imports/refresh.jinja",
        {
            "title": "Refresh statements, findings and indicators",
            "refresh": state,
            "stale_steps": [] if state.running else stale_steps(),
            "breadcrumbs": _crumbs(),
        },
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
            "quarantine": _quarantine_of(record),
            "stale_steps": stale_steps(),
            "breadcrumbs": _crumbs(),
        },
    )


def _quarantine_of(record: ImportRun) -> tuple[object, ...]:
    """The import's quarantine by field and reason (no values: no patient identifiers)."""
    path = Path(record.quarantine_path) if record.quarantine_path else None
    return quarantine_summary(path) if path is not None and path.is_file() else ()


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
