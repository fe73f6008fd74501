"""The importer: typing, quarantine, flags, partitions, re-imports, refusals, formats."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pbc.warehouse import sources, store
from pbc.warehouse.ingest import ImportRefused, import_file


def stored_rows(ds, data_dir: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    rows: list[dict] = []
    for f in store.live_files(ds, data_dir):
        rows.extend(pq.read_table(f).to_pylist())
    return sorted(rows, key=lambda r: str(r.get("row_id", r.get("code"))))


def quarantine(path: str | None) -> list[dict[str, str]]:
    assert path is not None
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def snapshot(data_dir: Path) -> dict[str, bytes]:
    """Every file under the data directory with its bytes (lock files excluded)."""
    return {
        p.relative_to(data_dir).as_posix(): p.read_bytes()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.name != store.LOCK
    }


def test_types_flags_quarantine_and_partitions(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    src = sample.write_csv(
        tmp_path / "april.csv",
        [
            sample.row("a", price="100.125", factor="1.03755", weight="2.5", flag="yes"),
            sample.row("b", nhs="943 476 5918", price="£1,234.565", date="14/04/2008", flag=""),
            sample.row("c", los="1.5"),  # not a whole number
            sample.row("d", pod="XX", date="2008-02-30"),  # two problems on one row
            sample.row("e", provider="RC1", date="2008-05-01", price="-0.125", nhs=""),
            sample.row("f", price=""),  # missing required money
            sample.row("g", los="3.0", flag="N"),  # Excel-style whole number
        ],
    )
    result = import_file(sample.ACTIVITY, src, data_dir=tmp_path)

    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (7, 4, 3)
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    assert result.partitions == (
        "period=2008-04/provider_code=RWG",
        "period=2008-05/provider_code=RC1",
    )
    assert result.partitions_replaced == ()
    assert len(result.checksum) == 64

    rows = {r["row_id"]: r for r in stored_rows(sample.ACTIVITY, tmp_path)}
    assert sorted(rows) == ["a", "b", "e", "g"]
    assert rows["a"]["price"] == Decimal("100.13")  # half-up at the penny
    assert rows["a"]["factor"] == Decimal("1.0376")  # half-up at the declared scale
    assert rows["a"]["procedure_flag"] is True
    assert rows["a"]["nhs_number_valid"] is True
    assert rows["a"]["period"] == "2008-04"
    assert rows["b"]["price"] == Decimal("1234.57")
    assert rows["b"]["event_date"] == dt.date(2008, 4, 14)
    assert rows["b"]["nhs_number_valid"] is False  # loaded, flagged
    assert rows["b"]["procedure_flag"] is None
    assert rows["e"]["price"] == Decimal("-0.13")  # half away from zero
    assert rows["e"]["nhs_number"] is None and rows["e"]["nhs_number_valid"] is False
    assert rows["g"]["length_of_stay"] == 3 and rows["g"]["procedure_flag"] is False
    assert result.rows_flagged == 2

    lines = quarantine(result.quarantine_path)
    assert [(q["source_row"], q["field"], q["value"]) for q in lines] == [
        ("4", "length_of_stay", "1.5"),
        ("5", "event_date", "2008-02-30"),
        ("5", "point_of_delivery", "XX"),
        ("7", "price", ""),
    ]
    assert lines[0]["reason"] == "not a whole number"
    assert lines[2]["reason"].startswith("not in the code list")
    assert lines[3]["reason"] == "missing required field"


def test_missing_optional_code_has_no_flag_but_missing_nhs_number_is_flagged(
    tmp_path: Path,
) -> None:
    from pbc.warehouse.schema import Dataset, Field

    ds = Dataset(
        "codes",
        "optional checked fields",
        (
            Field("code", "string", True),
            Field("nhs_number", "string", False, check="nhs_number"),
            Field("hrg_code", "string", False, check="hrg_code"),
        ),
    )
    src = tmp_path / "codes.csv"
    src.write_text("code,nhs_number,hrg_code\na,,\nb,9434765919,HB12C\nc,9434765919,hb12c\n")
    result = import_file(ds, src, data_dir=tmp_path)
    rows = {r["code"]: r for r in stored_rows(ds, tmp_path)}
    assert (rows["a"]["nhs_number_valid"], rows["a"]["hrg_code_valid"]) == (False, None)
    assert (rows["b"]["nhs_number_valid"], rows["b"]["hrg_code_valid"]) == (True, True)
    assert (rows["c"]["nhs_number_valid"], rows["c"]["hrg_code_valid"]) == (True, False)
    assert result.rows_flagged == 2  # a (no NHS number) and c (bad HRG)


def test_a_check_without_sql_twin_runs_its_python_definition(
    tmp_path: Path, sample, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A named check added to CHECKS before its SQL twin still flags rows (more slowly)."""
    from pbc import codes
    from pbc.warehouse.sql_checks import SQL_CHECKS

    monkeypatch.delitem(SQL_CHECKS, "nhs_number")
    numbers = ["9434765919", "9434765918", "943 476 5919", "", "1111111111"]
    rows = [sample.row(f"n{i}", nhs=n) for i, n in enumerate(numbers)]
    result = import_file(
        sample.ACTIVITY, sample.write_csv(tmp_path / "a.csv", rows), data_dir=tmp_path
    )
    got = [r["nhs_number_valid"] for r in stored_rows(sample.ACTIVITY, tmp_path)]
    assert got == [codes.is_valid_nhs_number(n) for n in numbers]  # rows sort by row_id n0..n4
    assert got == [True, False, True, False, False]
    assert result.rows_flagged == 3


def test_reimport_of_a_month_replaces_it(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    april = sample.month_rows("2008-04", "RWG", 30, price="10.00")
    may = sample.month_rows("2008-05", "RWG", 20, price="5.00")
    import_file(
        sample.ACTIVITY, sample.write_csv(tmp_path / "a.csv", april + may), data_dir=tmp_path
    )
    again = import_file(
        sample.ACTIVITY, sample.write_csv(tmp_path / "b.csv", april), data_dir=tmp_path
    )
    rows = stored_rows(sample.ACTIVITY, tmp_path)
    assert len(rows) == 50  # not 80
    assert sum(r["price"] for r in rows) == Decimal("400.00")
    assert again.partitions_replaced == ("period=2008-04/provider_code=RWG",)

    revised = sample.month_rows("2008-04", "RWG", 12, price="7.50", prefix="r")
    import_file(
        sample.ACTIVITY,
        sample.write_csv(tmp_path / "c.csv", revised),
        period="2008-04",
        data_dir=tmp_path,
    )
    rows = stored_rows(sample.ACTIVITY, tmp_path)
    assert len(rows) == 32
    assert sum(r["price"] for r in rows) == Decimal("190.00")  # 12 x 7.50 + 20 x 5.00
    assert not any(r["row_id"].startswith("2008-04") for r in rows)
    # exactly the live files are on disk: the replaced ones are gone
    on_disk = sorted(p.relative_to(tmp_path / "warehouse" / "activity").as_posix()
                     for p in (tmp_path / "warehouse" / "activity").rglob("*.parquet"))  # fmt: skip
    live = store.read_manifest(tmp_path / "warehouse" / "activity", "activity").files()
    assert on_disk == sorted(live)


def test_declared_period_quarantines_other_months(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    rows = sample.month_rows("2008-04", "RWG", 3) + [sample.row("late", date="2008-05-02")]
    result = import_file(
        sample.ACTIVITY,
        sample.write_csv(tmp_path / "a.csv", rows),
        period="2008-04",
        data_dir=tmp_path,
    )
    assert (result.rows_loaded, result.rows_rejected) == (3, 1)
    [line] = quarantine(result.quarantine_path)
    assert line == {
        "source_row": "5",
        "field": "event_date",
        "value": "2008-05-02",
        "reason": "outside the declared period 2008-04",
    }
    assert result.partitions == ("period=2008-04/provider_code=RWG",)


def test_ragged_rows_are_quarantined_with_their_row_numbers(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ragged.csv"
    good = sample.month_rows("2008-04", "RWG", 4)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(sample.HEADER)
        w.writerow(good[0])
        w.writerow(good[1] + ["extra"])
        w.writerow(good[2][:3])
        w.writerow(good[3])
    result = import_file(sample.ACTIVITY, path, data_dir=tmp_path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (4, 2, 2)
    lines = quarantine(result.quarantine_path)
    assert [(q["source_row"], q["reason"]) for q in lines] == [
        ("3", "row has 11 fields; the header has 10"),
        ("4", "row has 3 fields; the header has 10"),
    ]
    assert {r["row_id"] for r in stored_rows(sample.ACTIVITY, tmp_path)} == {good[0][0], good[3][0]}


def test_row_numbers_hold_across_many_batches_and_csv_buffers(
    tmp_path: Path, sample, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """DuckDB reads CSV buffers in parallel; row numbers come from the preserved order."""
    monkeypatch.setattr(sources, "CSV_BUFFER_SIZE", 1 << 16)  # many buffers, several threads
    rows = sample.month_rows("2008-04", "RWG", 20_000)
    bad_at = {7, 4_099, 9_999, 15_001, 19_999}
    for i in bad_at:
        rows[i][4] = f"bad{i}"
    result = import_file(sample.ACTIVITY, sample.write_csv(tmp_path / "big.csv", rows),
                         data_dir=tmp_path, batch_rows=1000)  # fmt: skip
    lines = quarantine(result.quarantine_path)
    assert [(int(q["source_row"]), q["value"]) for q in lines] == [
        (i + 2, f"bad{i}") for i in sorted(bad_at)
    ]
    assert result.rows_loaded == 20_000 - len(bad_at)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty file"),
        (b"\n\n", "empty file: no header row"),
        (b"HEADER\n", "no data rows"),
        (b"row_id,nhs_number\n1,2\n", "missing columns: provider_code"),
        (b"HEADER,colour\n", "unknown columns: colour"),
        (b"HEADER,price\n", "duplicate columns: price"),
        ("HEADER\nx,,RWG,2008-04-01,1,EL,£5,,,\n".encode("latin-1"), "wrong encoding: not UTF-8"),
        ("HEADER\n".encode("utf-16"), "wrong encoding"),
        ("HEADER\n".encode("utf-16-le"), "NUL bytes"),
    ],
)
def test_whole_file_problems_are_refused_and_change_nothing(
    tmp_path: Path, sample, content: bytes, problem: str
) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    import_file(sample.ACTIVITY, sample.write_csv(tmp_path / "seed.csv", sample.month_rows("2008-04", "RWG", 3)),
                data_dir=data_dir)  # fmt: skip
    before = snapshot(data_dir)
    path = tmp_path / "bad.csv"
    path.write_bytes(content.replace(b"HEADER", ",".join(sample.HEADER).encode()))
    with pytest.raises(ImportRefused) as refused:
        import_file(sample.ACTIVITY, path, data_dir=data_dir)
    assert problem in str(refused.value)
    assert str(refused.value).startswith("bad.csv: ")
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("data.xls", b"\xd0\xcf\x11\xe0", "unsupported format '.xls'"),
        ("data.txt", b"a,b\n", "unsupported format '.txt'"),
        ("data.xlsx", b"PK\x03\x04 not really a zip", "not a readable XLSX workbook"),
        ("data.parquet", b"PAR1 broken", "not a readable Parquet file"),
    ],
)
def test_unsupported_or_broken_formats_are_refused(
    tmp_path: Path, sample, name: str, content: bytes, problem: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as refused:
        import_file(sample.ACTIVITY, path, data_dir=tmp_path / "data")
    assert problem in refused.value.problem
    assert not (tmp_path / "data" / "warehouse" / "activity" / store.MANIFEST).exists()


def test_period_argument_is_checked(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    src = sample.write_csv(tmp_path / "a.csv", sample.month_rows("2008-04", "RWG", 1))
    with pytest.raises(ImportRefused, match="not a month YYYY-MM"):
        import_file(sample.ACTIVITY, src, period="2008-13", data_dir=tmp_path)
    ref = tmp_path / "ref.csv"
    ref.write_text("code,amount\nA,1\n")
    with pytest.raises(ImportRefused, match="has no period"):
        import_file(sample.REFERENCE, ref, period="2008-04", data_dir=tmp_path)


def test_reference_data_is_one_partition_replaced_whole(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    ref = tmp_path / "ref.csv"
    ref.write_text("code,amount\nA,1.005\nB,2\n")
    first = import_file(sample.REFERENCE, ref, data_dir=tmp_path)
    assert first.partitions == ("",)
    ref.write_text("Code , AMOUNT\nC,3\n")  # header names are trimmed and case-folded
    import_file(sample.REFERENCE, ref, data_dir=tmp_path)
    assert stored_rows(sample.REFERENCE, tmp_path) == [{"code": "C", "amount": Decimal("3.00")}]


def test_xlsx_import_reads_typed_cells(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(sample.HEADER)
    ws.append(["x1", 9434765919, "RWG", dt.datetime(2008, 4, 3), 2, "EL", 10.005, 1.02, 0.5, True])
    ws.append(["x2", None, "RWG", dt.date(2008, 4, 4), 2.5, "DC", 1, None, None, None])
    ws.append([None] * 10)  # blank row: skipped
    ws.append(
        ["x3", "943 476 5919", "RC1", "2008-04-05", 0, "NEL", "7", None, None, False, "spill"]
    )
    path = tmp_path / "april.xlsx"
    wb.save(path)
    result = import_file(sample.ACTIVITY, path, data_dir=tmp_path)
    assert (result.format, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "xlsx",
        3,
        1,
        2,
    )
    [x1] = stored_rows(sample.ACTIVITY, tmp_path)
    assert x1["nhs_number"] == "9434765919" and x1["nhs_number_valid"] is True
    assert x1["event_date"] == dt.date(2008, 4, 3)
    assert x1["price"] == Decimal("10.01")  # the float cell 10.005 reads as "10.005"
    assert x1["factor"] == Decimal("1.0200")
    lines = quarantine(result.quarantine_path)
    assert [(q["source_row"], q["field"]) for q in lines] == [("3", "length_of_stay"), ("5", "")]


def test_parquet_import_casts_typed_columns(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    table = pa.table(
        {
            "row_id": ["p1", "p2"],
            "nhs_number": ["9434765919", None],
            "provider_code": ["RWG", "RWG"],
            "event_date": pa.array([dt.date(2008, 6, 1), dt.date(2008, 6, 2)]),
            "length_of_stay": pa.array([1, 2], pa.int32()),
            "point_of_delivery": ["EL", "DC"],
            "price": pa.array([Decimal("12.345"), Decimal("1.00")], pa.decimal128(10, 3)),
            "factor": pa.array([1.0375, None]),
            "weight": pa.array([0.25, None]),
            "procedure_flag": [True, None],
        }
    )
    path = tmp_path / "june.parquet"
    pq.write_table(table, path)
    result = import_file(sample.ACTIVITY, path, data_dir=tmp_path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    rows = stored_rows(sample.ACTIVITY, tmp_path)
    assert [r["price"] for r in rows] == [Decimal("12.35"), Decimal("1.00")]
    assert rows[0]["factor"] == Decimal("1.0375")
    assert rows[0]["event_date"] == dt.date(2008, 6, 1)


def test_result_json_round_trips(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    src = sample.write_csv(
        tmp_path / "a.csv", sample.month_rows("2008-04", "RWG", 2) + [sample.row("z", los="?")]
    )
    result = import_file(sample.ACTIVITY, src, data_dir=tmp_path, source_name="upload.csv")
    data = json.loads(result.to_json())
    assert data["source_name"] == "upload.csv"
    assert data["rows_read"] == data["rows_loaded"] + data["rows_rejected"] == 3
    assert data["quarantine_path"] == result.quarantine_path
    assert Path(data["quarantine_path"]).parent == tmp_path / "quarantine" / "activity"


def test_progress_is_reported_in_order(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, float]] = []
    src = sample.write_csv(tmp_path / "a.csv", sample.month_rows("2008-04", "RWG", 5))
    import_file(sample.ACTIVITY, src, data_dir=tmp_path, progress=lambda s, f: seen.append((s, f)))
    stages = [s for s, _ in seen]
    assert stages[0] == "checking" and stages[-1] == "committing"
    assert "loading" in stages
    assert seen[-1] == ("committing", 1.0)
    assert all(0.0 <= f <= 1.0 for _, f in seen)
