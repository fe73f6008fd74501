"""Uploading through the imports page as a user does: the upload answers with its preview, and
the import happens when the preview is confirmed (a refused file has no preview: the answer is
its record)."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pbc.imports.models import ImportRun


def preview(client: Client, name: str, content: bytes, dataset: str = "practices") -> Any:
    """Upload a file: the answer is its preview (200), or a refused file's record (302)."""
    return client.post("/imports/", {"dataset": dataset, "file": SimpleUploadedFile(name, content)})


def hidden_fields(html: str) -> dict[str, str]:
    form = html.split(f'action="{reverse("import_confirm")}"')[1].split("</form>")[0]
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))


def run_of(response: Any) -> ImportRun:
    assert response.status_code == 302, response.content[:2000]
    return ImportRun.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def upload(client: Client, name: str, content: bytes, dataset: str = "practices") -> ImportRun:
    """Upload a file and confirm its preview."""
    response = preview(client, name, content, dataset)
    if response.status_code == 302:
        return run_of(response)
    assert response.status_code == 200, response.content[:2000]
    fields = hidden_fields(response.content.decode())
    return run_of(client.post(reverse("import_confirm"), {**fields, "import": "1"}))
