"""The imports page: an analyst uploads files; good rows load, bad rows are quarantined with
reasons, whole-file problems are refused with a message and change nothing; all recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from pbc.imports.models import ImportRun
from pbc.orgs.models import AuditEvent

HEADER = (
    "gp_practice_code,practice_name,locality_code,locality_name,pct_code,pct_name,region_code,"
    "parent_code,postcode,open_date,close_date,status_code,prescribing_setting,"
    "commissioner_start_date\n"
)
EMPTY_ODS = ",,,,,,,,"


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path: Path) -> Iterator[None]:
    """Uploads go to a data directory of their own: a practices file loaded into the session's
    warehouse would replace the demo's practices for every later test."""
    with override_settings(DATA_DIR=tmp_path / "data"):
        yield


@pytest.fixture
def analyst() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="analyst"))
    return client


def upload(client: Client, name: str, content: bytes, dataset: str = "practices") -> ImportRun:
    response = client.post(
        "/imports/", {"dataset": dataset, "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 302, response.content[:2000]
    return ImportRun.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


@pytest.mark.django_db
def test_upload_loads_good_rows_and_quarantines_bad_ones(analyst: Client) -> None:
    content = (
        HEADER
        + "E82601,Gade Valley Surgery,dacorum,Dacorum,5P3,West Hertfordshire PCT"
        + EMPTY_ODS
        + "\n,No Code Surgery,dacorum,Dacorum,5P3,West Hertfordshire PCT"
        + EMPTY_ODS
        + "\n"
    ).encode()
    run = upload(analyst, "practices.csv", content)
    assert run.status == "loaded"
    assert (run.rows_read, run.rows_loaded, run.rows_rejected) == (2, 1, 1)
    assert run.user is not None and run.user.username == "analyst"
    page = analyst.get(f"/imports/{run.pk}/").content.decode()
    assert "Rows rejected (quarantined)" in page
    quarantine = analyst.get(f"/imports/{run.pk}/quarantine.csv")
    assert quarantine.status_code == 200
    text = b"".join(quarantine.streaming_content).decode()
    assert "gp_practice_code" in text and "3" in text  # the source row number of the bad row
    assert AuditEvent.objects.filter(action="view_patient_rows", object_type="ImportRun").exists()

    # The other PCT's analyst does not see this import, nor its quarantined rows (audited).
    other = Client()
    other.force_login(get_user_model().objects.get(username="enh-analyst"))
    assert f'href="/imports/{run.pk}/"' not in other.get("/imports/").content.decode()
    assert other.get(f"/imports/{run.pk}/").status_code == 403
    assert other.get(f"/imports/{run.pk}/quarantine.csv").status_code == 403
    assert (
        AuditEvent.objects.filter(
            action="denied", username="enh-analyst", object_type="ImportRun", object_id=str(run.pk)
        ).count()
        == 2
    )


@pytest.mark.django_db
def test_whole_file_problem_is_refused_and_recorded(analyst: Client) -> None:
    run = upload(analyst, "practices.csv", b"code,name\nE82601,X\n")
    assert run.status == "refused"
    assert run.rows_loaded == 0
    assert "practices.csv" in run.message
    page = analyst.get(f"/imports/{run.pk}/").content.decode()
    assert "The file was refused and nothing was changed" in page


@pytest.mark.django_db
def test_bad_period_is_a_field_error(analyst: Client) -> None:
    before = ImportRun.objects.count()
    response = analyst.post(
        "/imports/",
        {"dataset": "apc", "period": "Dec 2008", "file": SimpleUploadedFile("a.csv", b"x\n1\n")},
    )
    assert response.status_code == 400
    assert "Enter the month as YYYY-MM" in response.content.decode()
    assert ImportRun.objects.count() == before
