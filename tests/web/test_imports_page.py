"""The imports page: an analyst uploads files; good rows load, bad rows are quarantined with
reasons, whole-file problems are refused with a message and change nothing; all recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from import_page import hidden_fields, preview, upload
from pbc.imports.models import ImportRun
from pbc.orgs.models import AuditEvent
from pbc.refresh import background
from pbc.refresh.pipeline import STEPS
from pbc.warehouse import store

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


def practice_row(code: str, name: str) -> str:
    return f"{code},{name},dacorum,Dacorum,5P3,West Hertfordshire PCT{EMPTY_ODS}\n"


def practices_rows() -> int:
    return store.read_manifest(store.dataset_dir("practices", settings.DATA_DIR), "practices").rows


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.django_db
def test_the_preview_names_the_partitions_replaced_and_their_rows_and_changes_nothing(
    analyst: Client,
) -> None:
    runs = ImportRun.objects.count()  # (the demo's own imports)
    first = HEADER + practice_row("E82601", "Gade Valley") + practice_row("E82602", "Kings")
    response = preview(analyst, "first.csv", first.encode())
    assert response.status_code == 200
    page = text_of(response.content.decode())
    assert "Check the import of first.csv" in page
    assert "No partition held now is replaced" in page  # the warehouse holds no practices yet
    assert ImportRun.objects.count() == runs and practices_rows() == 0  # nothing changed
    run = upload(analyst, "first.csv", first.encode())
    assert (run.status, run.rows_loaded, practices_rows()) == ("loaded", 2, 2)

    # A second file replaces the dataset (reference data, one partition): the preview says so,
    # with the rows it holds now, and nothing changes until the import is confirmed.
    second = HEADER + practice_row("E82603", "Parkwood") + "\n".join(["", ""])
    response = preview(analyst, "second.csv", second.encode())
    html = response.content.decode()
    page = text_of(html)
    assert "Importing replaces 1 partition that holds 2 rows now" in page
    assert "Rows that would load 1" in page
    assert re.search(r'data-partition="[^"]*">.*?>2</td>', html)
    assert practices_rows() == 2 and ImportRun.objects.count() == runs + 1
    fields = hidden_fields(html)
    assert fields["dataset"] == "practices" and fields["source_name"] == "second.csv"

    # Cancel: nothing changes and the kept file is gone; confirming it then finds nothing.
    response = analyst.post(reverse("import_confirm"), {**fields, "cancel": "1"}, follow=True)
    assert "Import of second.csv cancelled: nothing changed." in text_of(response.content.decode())
    assert practices_rows() == 2 and ImportRun.objects.count() == runs + 1
    response = analyst.post(reverse("import_confirm"), {**fields, "import": "1"}, follow=True)
    assert "no longer kept" in text_of(response.content.decode())
    assert practices_rows() == 2 and ImportRun.objects.count() == runs + 1

    # Confirmed: imported as previewed, the partition replaced.
    run = upload(analyst, "second.csv", second.encode())
    assert (run.status, run.rows_loaded, run.source_name, practices_rows()) == (
        "loaded", 1, "second.csv", 1,
    )  # fmt: skip
    page = text_of(analyst.get(f"/imports/{run.pk}/").content.decode())
    assert "Status Loaded" in page


@pytest.mark.django_db
def test_an_import_whose_every_row_is_quarantined_says_nothing_loaded(analyst: Client) -> None:
    content = HEADER + practice_row("", "No Code Surgery") + practice_row("", "Nor This")
    response = preview(analyst, "blank.csv", content.encode())
    html = response.content.decode()
    page = text_of(html)
    assert "Nothing would load" in page
    assert 'id="quarantine-summary"' in html and 'data-field="gp_practice_code"' in html
    run = upload(analyst, "blank.csv", content.encode())
    assert (run.status, run.rows_loaded, run.rows_rejected) == ("loaded", 0, 2)
    html = analyst.get(f"/imports/{run.pk}/").content.decode()
    page = text_of(html)
    assert "Status Nothing loaded: every row was quarantined" in page
    assert "Loaded" not in page.replace("Nothing loaded", "").replace("Rows loaded", "")
    # The quarantine on the page: its field, reason, row count and first row; no values.
    summary = text_of(html.split('id="quarantine-summary"')[1].split("</table>")[0])
    assert summary.startswith("> Field Reason Rows First row gp_practice_code")
    assert summary.endswith("2 2")  # two rows, the first of them row 2
    assert "No Code Surgery" not in html
    listing = text_of(analyst.get("/imports/").content.decode())
    assert "blank.csv Nothing loaded: every row was quarantined" in listing


@pytest.mark.django_db
def test_a_refusal_shows_its_message_whole(analyst: Client) -> None:
    run = upload(analyst, "data 'a'.csv", b"code,name\nE82601,X\n")
    assert run.status == "refused"
    assert run.message.startswith("data 'a'.csv: not a layout pbc knows for practices")
    assert run.message.endswith("(`pbc import --layouts` lists them).")
    page = analyst.get(f"/imports/{run.pk}/").content.decode()
    assert "data &#39;a&#39;.csv: not a layout pbc knows for practices" in page
    assert "(`pbc import --layouts` lists them).</p>" in page


@pytest.mark.django_db(transaction=True)
def test_an_analyst_starts_a_refresh_and_follows_its_progress() -> None:
    import demo_snapshot

    if not get_user_model().objects.exists():  # emptied by an earlier transactional test
        demo_snapshot.restore()
    client = Client()
    client.force_login(get_user_model().objects.get(username="analyst"))
    page = text_of(client.get(reverse("import_refresh")).content.decode())
    assert "No refresh has been started from this site" in page
    response = client.post(reverse("import_refresh"))
    assert response.status_code == 302 and response["Location"] == reverse("import_refresh")
    background.wait(timeout=120)
    html = client.get(reverse("import_refresh")).content.decode()
    assert 'data-state="finished"' in html, html
    assert "Finished" in text_of(html) and "started by analyst" in text_of(html)
    steps = re.findall(r"<li>([^<]+)</li>", html.split('id="refresh-steps"')[1].split("</ol>")[0])
    assert len(steps) == len(STEPS)
    assert AuditEvent.objects.filter(action="refresh", username="analyst").count() == 1
    assert '<meta http-equiv="refresh"' not in html  # it polls only while running
    # A practice user may not start one.
    practice = Client()
    practice.force_login(get_user_model().objects.get(username="practice"))
    assert practice.post(reverse("import_refresh")).status_code == 403


def test_every_dataset_has_a_title() -> None:
    from pbc.warehouse.datasets import DATASETS
    from pbc.warehouse.titles import TITLES

    assert set(TITLES) == set(DATASETS)


@pytest.mark.django_db
def test_the_dataset_list_shows_titles_with_names(analyst: Client) -> None:
    page = analyst.get("/imports/").content.decode()
    assert re.search(
        r'<option value="apc"[^>]*>\s*Admitted patient care \(hospital spells\) \(apc\)', page
    )
    assert re.search(
        r'<option value="list_sizes"[^>]*>\s*Registered patients \(list sizes\) \(list_sizes\)',
        page,
    )
    run = upload(
        analyst,
        "practices.csv",
        (
            HEADER
            + "E82601,Gade Valley Surgery,dacorum,Dacorum,5P3,West Hertfordshire PCT"
            + EMPTY_ODS
            + "\n"
        ).encode(),
    )
    assert "GP practices (practices)" in analyst.get(f"/imports/{run.pk}/").content.decode()
    assert "GP practices (practices)" in analyst.get("/imports/").content.decode()


@pytest.mark.django_db
def test_one_person_keeps_few_uploads_waiting_and_only_they_can_confirm_them(
    analyst: Client,
) -> None:
    """ASVS 12.1.3. Before, every preview kept its file for an hour whoever made it, without
    number: one analyst could fill the disk with previews, and a preview's token confirmed
    anyone's kept file."""
    files = [
        (f"p{i}.csv", (HEADER + practice_row(f"E8270{i}", f"Practice {i}")).encode())
        for i in range(settings.PBC_UPLOAD_MAX_KEPT_FILES + 1)
    ]
    previews = [preview(analyst, name, content) for name, content in files[:-1]]
    assert all(r.status_code == 200 for r in previews)
    again = preview(analyst, *files[0])  # the same file again counts once
    assert again.status_code == 200

    name, content = files[-1]
    refused = preview(analyst, name, content)
    page = text_of(refused.content.decode())
    assert refused.status_code == 400
    assert f"{name}: you already have {settings.PBC_UPLOAD_MAX_KEPT_FILES} uploads waiting" in page
    kept = list((Path(settings.DATA_DIR) / "uploads" / "kept" / "imports").iterdir())
    assert len(kept) == settings.PBC_UPLOAD_MAX_KEPT_FILES

    # Another analyst is not held up by the first one's uploads, and cannot confirm them.
    other = Client()
    other.force_login(get_user_model().objects.get(username="enh-analyst"))
    fields = hidden_fields(previews[1].content.decode())
    response = other.post(reverse("import_confirm"), {**fields, "import": "1"}, follow=True)
    assert "no longer kept" in text_of(response.content.decode())
    assert practices_rows() == 0
    assert preview(other, name, content).status_code == 200

    # Cancelling one makes room again; and bytes count as well as files.
    analyst.post(reverse("import_confirm"), {**fields, "cancel": "1"})
    assert preview(analyst, name, content).status_code == 200
    analyst.post(reverse("import_confirm"), {**fields, "cancel": "1"})
    with override_settings(PBC_UPLOAD_MAX_KEPT_BYTES=len(content) * 2):
        page = text_of(preview(other, "big.csv", content + b"\n" * 10).content.decode())
        assert "big.csv: with this file your uploads waiting for their next step" in page
