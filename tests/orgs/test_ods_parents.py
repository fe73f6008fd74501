"""A commissioner's parent and region come from most of its practices' ODS rows: in ODS's Data
Search and Export epraccur report, column 4 is the ICB the practice's postcode lies in, which a
practice near a boundary gives differently from its commissioner's ICB."""

from __future__ import annotations

from pbc.orgs.ods import commissioner_parents


def row(parent: str, region: str = "Y60") -> dict[str, object]:
    return {"parent_code": parent, "region_code": region}


def test_most_practices_name_the_parent() -> None:
    # D2P2L (Black Country, ICB QUA): its first practice by code sits over the boundary (QHL).
    practices = [("D2P2L", row("QHL")), ("D2P2L", row("QUA")), ("D2P2L", row("QUA"))]
    practices += [("15E", row("QHL")), ("15E00", row("QHL"))]  # 5-character form: one code
    assert commissioner_parents(practices) == {"D2P2L": ("QUA", "Y60"), "15E": ("QHL", "Y60")}


def test_a_tie_goes_to_the_first_practice_and_legacy_files_agree() -> None:
    assert commissioner_parents([("5P3", row("Q36", "Y")), ("5P3", row("Q37", "Y"))]) == {
        "5P3": ("Q36", "Y")
    }
    legacy = [("00K", row("Q82", "Y57"))] * 4  # the legacy csv derived column 4 from column 15
    assert commissioner_parents(legacy) == {"00K": ("Q82", "Y57")}
