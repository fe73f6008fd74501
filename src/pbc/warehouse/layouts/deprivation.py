"""The English indices of deprivation as published (Ministry of Housing, Communities and Local
Government). docs/data.md "`imd_lsoa`" gives the source of each heading.

- `iod2019_file7`: IoD2019 "File 7: all ranks, deciles and scores for the indices of
  deprivation, and population denominators" (File_7_-_All_IoD2019_Scores__Ranks__Deciles_and_
  Population_Denominators_3.csv), one row per 2011 LSOA: the IMD columns are read, the
  domains' scores, ranks and deciles and the population denominators are named and ignored.
  File 1 (IMD2019 ranks and deciles only, the workbook's "IMD2019" sheet) has the same LSOA
  and IMD rank/decile headings but no score, so it is not this layout.
"""

from __future__ import annotations

from pbc.warehouse.layouts.spec import Column, Layout

_DOMAINS = (
    "Income",
    "Employment",
    "Education, Skills and Training",
    "Health Deprivation and Disability",
    "Crime",
    "Barriers to Housing and Services",
    "Living Environment",
    "Income Deprivation Affecting Children Index (IDACI)",
    "Income Deprivation Affecting Older People (IDAOPI)",
    "Children and Young People Sub-domain",
    "Adult Skills Sub-domain",
    "Geographical Barriers Sub-domain",
    "Wider Barriers Sub-domain",
    "Indoors Sub-domain",
    "Outdoors Sub-domain",
)


def _domain_headings(domain: str) -> tuple[str, ...]:
    score = f"{domain} Score" + (" (rate)" if domain in ("Income", "Employment") else "")
    return (
        score,
        f"{domain} Rank (where 1 is most deprived)",
        f"{domain} Decile (where 1 is most deprived 10% of LSOAs)",
    )


IOD2019_FILE7 = Layout(
    name="iod2019_file7",
    dataset="imd_lsoa",
    title="English indices of deprivation 2019, File 7 (all scores, ranks and deciles, LSOA)",
    source="Ministry of Housing, Communities and Local Government, 'English indices of "
    "deprivation 2019', File 7, September 2019",
    spec="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
    constants={"imd_edition": "2019"},
    columns=(
        Column("lsoa_code", names=("LSOA code (2011)",)),
        Column("lsoa_name", names=("LSOA name (2011)",)),
        Column("local_authority_code", names=("Local Authority District code (2019)",)),
        Column("imd_score", names=("Index of Multiple Deprivation (IMD) Score",)),
        Column(
            "imd_rank",
            names=("Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",),
        ),
        Column(
            "imd_decile",
            names=(
                "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of "
                "LSOAs)",
            ),
        ),
    ),
    ignored=(
        "Local Authority District name (2019)",
        *(h for d in _DOMAINS for h in _domain_headings(d)),
        "Total population: mid 2015 (excluding prisoners)",
        "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
        "Population aged 16-59: mid 2015 (excluding prisoners)",
        "Older population aged 60 and over: mid 2015 (excluding prisoners)",
        "Working age population 18-59/64: for use with Employment Deprivation Domain "
        "(excluding prisoners)",
    ),
)

LAYOUTS = (IOD2019_FILE7,)
