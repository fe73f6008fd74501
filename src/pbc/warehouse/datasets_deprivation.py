"""Deprivation by small area (issue 19, item 4): the Index of Multiple Deprivation of each
lower layer super output area (LSOA), as the English indices of deprivation publish it. The
plans' inequalities target ("the poorest 20% of communities") is about areas, so a patient's
deprivation is the IMD of the LSOA they live in, looked up here, not an attribute of the
person.

- `imd_lsoa`: one row per edition and LSOA: score, national rank (1 = most deprived) and
  decile (1 = most deprived 10% of LSOAs in England). Partitioned by edition, so importing
  the 2019 file replaces the 2019 rows only (2007 and 2019 use different LSOA geographies:
  2001 and 2011).
"""

from __future__ import annotations

from pbc.warehouse.schema import Dataset, Field


def _f(name: str, type_: str, required: bool = False, **kw: object) -> Field:
    return Field(name, type_, required, **kw)  # type: ignore[arg-type]


IMD_EDITIONS = frozenset({"2004", "2007", "2010", "2015", "2019", "2025"})

IMD_LSOA = Dataset(
    name="imd_lsoa",
    description="Index of Multiple Deprivation per LSOA (English indices of deprivation): "
    "score, rank and decile, per edition.",
    reference=True,
    key=("imd_edition", "lsoa_code"),
    partition_by=("imd_edition",),
    fields=(
        _f(
            "imd_edition",
            "string",
            True,
            codes=IMD_EDITIONS,
            description="The indices' edition (2007, 2019, ...).",
        ),  # fmt: skip
        _f(
            "lsoa_code",
            "string",
            True,
            check="lsoa_code",
            description="LSOA code (E01 and six digits).",
        ),  # fmt: skip
        _f("lsoa_name", "string", False),
        _f("local_authority_code", "string", False),
        _f(
            "imd_score",
            "float",
            True,
            minimum=0,
            description="Index of Multiple Deprivation score (higher is more deprived).",
        ),  # fmt: skip
        _f(
            "imd_rank", "int", True, minimum=1, description="Rank in England, 1 the most deprived."
        ),  # fmt: skip
        _f(
            "imd_decile",
            "int",
            False,
            minimum=1,
            description="Decile in England, 1 the most deprived 10% of LSOAs (empty where the "
            "edition published none: pbc works it out from the rank).",
        ),  # fmt: skip
    ),
)

DEPRIVATION_DATASETS: tuple[Dataset, ...] = (IMD_LSOA,)
