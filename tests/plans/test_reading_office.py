"""Word and Excel plans built here with python-docx / openpyxl; round trip; malformed files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

import pbc.plans
from pbc.plans.reading import PlanReadError, read_plan, write_docx, write_xlsx

SEEDS = Path(pbc.plans.__file__).parent / "seeds"
HEADER = ["Objective/Priority", "Action", "Milestones", "Lead", "Timescale", "Outcome"]


def docx_bytes(build) -> bytes:  # type: ignore[no-untyped-def]
    document = Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def add_table(document, rows: list[list[str]]):  # type: ignore[no-untyped-def]
    """A table whose cells hold "\\n\\n"-separated paragraphs."""
    table = document.add_table(rows=0, cols=len(rows[0]))
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            paragraphs = value.split("\n\n") if value else []
            if paragraphs:
                cell.paragraphs[0].text = paragraphs[0]
                for paragraph in paragraphs[1:]:
                    cell.add_paragraph(paragraph)
    return table


def test_docx_tables_with_headings_repeated_headers_and_multi_paragraph_cells() -> None:
    def build(document) -> None:  # type: ignore[no-untyped-def]
        document.add_paragraph("Sample Locality Plan 2008/09", style="Title")
        document.add_heading("National Priorities", level=1)
        add_table(
            document,
            [
                HEADER,
                [
                    "18 week wait",
                    "Work the pathways",
                    "90% admitted",
                    "Executive Board",
                    "Dec 2008",
                    "Pathways met",
                ],
                HEADER,  # repeated at the top of the next page
                [
                    "Patient experience",
                    "Surveys\n\nPatient groups",
                    "Quarterly reports",
                    "Executive Board",
                    "March  2009",
                    "Better surveys",
                ],
                ["", "Publish results", "", "Locality", "ongoing", ""],
            ],
        )
        document.add_paragraph("Local Priorities")
        add_table(
            document,
            [
                HEADER,
                [
                    "Leg Ulcer services\n\nCommunity based clinics",
                    "Audit patients",
                    "Nurse time saved",
                    "Executive Board",
                    "March 2008",
                    "Fewer attendances",
                ],
            ],
        )

    plan = read_plan(docx_bytes(build), filename="sample.docx")
    assert plan.title == "Sample Locality Plan 2008/09"
    assert plan.sections == ["National Priorities", "Local Priorities"]
    assert [o.title for o in plan.objectives] == [
        "18 week wait",
        "Patient experience",
        "Leg Ulcer services\nCommunity based clinics",
    ]
    experience = plan.objectives[1]
    assert experience.actions == ["Surveys", "Patient groups", "Publish results"]
    assert experience.leads == ["Executive Board", "Locality"]
    assert experience.due_dates == [dt.date(2009, 3, 31)]
    assert experience.timescale == "March 2009; ongoing"  # whitespace runs made single
    assert plan.unplaced == []
    assert len(plan.warnings) == 1 and "Leg Ulcer services" in plan.warnings[0]


def test_docx_columns_in_another_order_with_synonyms_and_an_unknown_column() -> None:
    def build(document) -> None:  # type: ignore[no-untyped-def]
        add_table(
            document,
            [
                ["Lead", "Priority", "Expected outcomes", "Key actions", "Status", "Deadline"],
                [
                    "DacCom",
                    "Choice",
                    "Responsive services",
                    "Offer Choose & Book",
                    "green",
                    "June 2008",
                ],
            ],
        )

    plan = read_plan(docx_bytes(build), filename="reordered.docx")
    (choice,) = plan.objectives
    assert choice.title == "Choice"
    assert choice.leads == ["DacCom"]
    assert choice.actions == ["Offer Choose & Book"]
    assert choice.outcomes == ["Responsive services"]
    assert choice.due_dates == [dt.date(2008, 6, 30)]
    assert [(f.text, f.reason) for f in plan.unplaced] == [
        ("green", "cell under no recognised column header")
    ]


def test_docx_merged_section_row_and_vertically_merged_objective_cell() -> None:
    def build(document) -> None:  # type: ignore[no-untyped-def]
        table = add_table(
            document,
            [
                HEADER,
                ["Local priorities", "", "", "", "", ""],
                [
                    "Maternity",
                    "Review services",
                    "Specification",
                    "DacCom project leads",
                    "2009",
                    "Better care",
                ],
                ["", "Home visits", "HV commissioned", "", "", ""],
            ],
        )
        table.cell(1, 0).merge(table.cell(1, 5))
        table.cell(2, 0).merge(table.cell(3, 0))

    plan = read_plan(docx_bytes(build), filename="merged.docx")
    (maternity,) = plan.objectives
    assert maternity.section == "Local priorities"
    assert maternity.title == "Maternity"
    assert maternity.actions == ["Review services", "Home visits"]
    assert maternity.milestones == ["Specification", "HV commissioned"]
    assert plan.unplaced == []


def xlsx_bytes(rows: list[list[object]], merge: list[str] = ()) -> bytes:  # type: ignore[assignment]
    workbook = Workbook()
    sheet = workbook.active
    for values in rows:
        sheet.append(values)
    for cells in merge:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_header_below_a_title_section_rows_and_line_breaks() -> None:
    data = xlsx_bytes(
        [
            ["Welwyn Hatfield Locality Commissioning Plan"],
            [],
            [None, "Objective / Priority", "Action", "Milestones", "Lead", "Timescale", "Outcome"],
            [None, "National Priorities"],
            [
                None,
                "Smoking cessation",
                "Commission a LES\nAudit quitters",
                "Quit targets met",
                "Executive Board",
                dt.datetime(2009, 3, 31),
                "More quitters",
            ],
            [None, "Local Priorities"],
            [
                None,
                "Phlebotomy\nEquitable services",
                "Review investment",
                "LES specification",
                "Executive Board",
                "2009 October 2008",
                "Satisfied patients",
            ],
            [None, None, "Work with the trust", None, "Locality Board", None, None],
        ],
        merge=["B6:G6"],
    )
    plan = read_plan(data, filename="plan.xlsx")
    assert plan.sections == ["National Priorities", "Local Priorities"]
    smoking, phlebotomy = plan.objectives
    assert smoking.actions == ["Commission a LES", "Audit quitters"]
    assert smoking.due_dates == [dt.date(2009, 3, 31)]
    assert phlebotomy.title == "Phlebotomy\nEquitable services"
    assert phlebotomy.actions == ["Review investment", "Work with the trust"]
    assert phlebotomy.leads == ["Executive Board", "Locality Board"]
    assert phlebotomy.due_dates == [dt.date(2009, 12, 31), dt.date(2008, 10, 31)]
    assert plan.title == "Welwyn Hatfield Locality Commissioning Plan"
    assert plan.unplaced == []


@pytest.mark.parametrize("writer", [write_xlsx, write_docx], ids=["xlsx", "docx"])
@pytest.mark.parametrize("seed", ["dacorum-2008-09.txt", "welwyn-hatfield-2008-09.txt"])
def test_round_trip_gives_the_same_structure(writer, seed: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = read_plan(SEEDS / seed)
    plan.title = "Locality commissioning plan 2008/09"
    out = tmp_path / ("plan.xlsx" if writer is write_xlsx else "plan.docx")
    writer(plan, out)
    again = read_plan(out)
    assert again.to_json()["objectives"] == plan.to_json()["objectives"]
    assert again.unplaced == []
    assert len(again.warnings) == len(plan.warnings)
    assert again.title == plan.title


# -- malformed files ----------------------------------------------------------------------------


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("  \n\n")
    with pytest.raises(PlanReadError, match=r"^blank\.txt: the file is empty$"):
        read_plan(path)


def test_text_without_a_header_is_refused() -> None:
    text = b"Our plan\n\tImprove access\n\tExecutive Board\n"
    with pytest.raises(PlanReadError, match=r"notes\.txt: no recognisable header row"):
        read_plan(text, filename="notes.txt")


def test_docx_without_a_header_is_refused() -> None:
    def build(document) -> None:  # type: ignore[no-untyped-def]
        add_table(document, [["Name", "Phone"], ["Dr Smith", "01442"]])

    with pytest.raises(PlanReadError, match=r"contacts\.docx: no recognisable header row"):
        read_plan(docx_bytes(build), filename="contacts.docx")


def test_xlsx_without_a_header_is_refused() -> None:
    with pytest.raises(PlanReadError, match=r"budget\.xlsx: no recognisable header row"):
        read_plan(xlsx_bytes([["Practice", "Budget"], ["E82001", 1000]]), filename="budget.xlsx")


def test_xlsx_with_a_header_but_no_objectives_is_refused() -> None:
    data = xlsx_bytes([["Objective", "Action", "Lead", "Timescale"], [None, None, None, None]])
    with pytest.raises(
        PlanReadError, match=r"empty\.xlsx: a header row was found but no objectives"
    ):
        read_plan(data, filename="empty.xlsx")


def test_password_protected_office_file_is_refused() -> None:
    # Office saves a password-protected .docx/.xlsx as an OLE compound file holding an
    # "EncryptionInfo" stream next to the encrypted package.
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\x00" * 40
    data = header + directory + b"\x00" * 1024
    with pytest.raises(PlanReadError, match=r"^secret\.docx: the file is password-protected"):
        read_plan(data, filename="secret.docx")


def test_legacy_binary_office_file_is_refused() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000
    with pytest.raises(PlanReadError, match=r"old\.doc: .*legacy binary Office document"):
        read_plan(data, filename="old.doc")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not text, a Word .docx or an Excel .xlsx"),
        (b"PK\x03\x04broken", "damaged ZIP package"),
    ],
    ids=["pdf", "image", "damaged-zip"],
)
def test_wrong_file_types_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(PlanReadError, match=rf"^upload\.bin: .*{message}"):
        read_plan(data, filename="upload.bin")


def test_zip_that_is_not_an_office_file_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("readme.txt", "hello")
    with pytest.raises(PlanReadError, match=r"archive\.zip: .*neither a Word \.docx nor"):
        read_plan(out.getvalue(), filename="archive.zip")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanReadError, match=r"^nowhere\.docx: cannot be opened"):
        read_plan(tmp_path / "nowhere.docx")
