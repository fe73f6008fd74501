"""Deprivation by small area: the English indices of deprivation 2019 File 7 loads into
`imd_lsoa` with its published headings (the domains' columns named and ignored), a row with a
score that is not a number is quarantined naming the field, and each LSOA's national quintile equals a plain
recomputation from the published decile and from the rank."""

from __future__ import annotations

import csv
from pathlib import Path

import ibis
import pandas as pd
import pytest

from pbc.analytics.population import inequalities as iq
from pbc.warehouse.engine import table
from pbc.warehouse.ingest import import_file
from pbc.warehouse.layouts.deprivation import IOD2019_FILE7

HEADER = [c.names[0] for c in IOD2019_FILE7.columns]
HEADER.insert(3, "Local Authority District name (2019)")
HEADER += list(IOD2019_FILE7.ignored[1:4])  # the first domain's score, rank and decile
# (code, name, LA code, LA name, score, rank, decile, income score/rank/decile)
ROWS = [
    ["E01023613", "Dacorum 001A", "E07000096", "Dacorum", 3.1, 31000, 10, 0.02, 31500, 10],
    ["E01023650", "Dacorum 012B", "E07000096", "Dacorum", 41.2, 2500, 1, 0.31, 2100, 1],
    [
        "E01023800",
        "Welwyn Hatfield 007C",
        "E07000241",
        "Welwyn Hatfield",
        22.0,
        9000,
        3,
        0.15,
        8800,
        3,
    ],  # fmt: skip
]


def _file(path: Path, rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def test_file_7_loads_and_gives_each_lsoa_its_quintile(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad = ["E01023999", "Bad", "E07000096", "Dacorum", "n/a", 5, 1, 0.1, 5, 1]
    result = import_file("imd_lsoa", _file(tmp_path / "f7.csv", [*ROWS, bad]), data_dir=data)
    assert (result.layout, result.rows_loaded, result.rows_rejected) == ("iod2019_file7", 3, 1)
    with open(str(result.quarantine_path), newline="") as fh:
        quarantined = fh.read()
    assert '5,"imd_score","n/a","not a number"' in quarantined  # row 5 of the file
    con = ibis.duckdb.connect()
    imd = table(con, "imd_lsoa", data_dir=data)
    got = dict(con.execute(iq.lsoa_quintiles(imd, "2019")).itertuples(index=False))
    # Plain recomputation: quintile = ceil(decile / 2) from the published decile.
    frame = pd.DataFrame(ROWS).rename(columns={0: "lsoa", 6: "decile"})
    assert got == {r.lsoa: -(-r.decile // 2) for r in frame.itertuples()}
    assert got == {"E01023613": 5, "E01023650": 1, "E01023800": 2}


def test_quintile_from_rank_where_no_decile_is_published() -> None:
    # 32,482 LSOAs in England (IMD 2007): the most deprived fifth is ranks 1-6,496.
    assert [iq.imd_quintile(r, 32482) for r in (1, 6496, 6497, 32482)] == [1, 1, 2, 5]
    assert iq.imd_quintile(0, 10, decile=3) == 2
    with pytest.raises(ValueError):
        iq.imd_quintile(11, 10)
