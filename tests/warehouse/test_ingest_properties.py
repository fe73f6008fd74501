"""Hypothesis tests of the importer.

1. Rows: every field value is drawn with its expected outcome known by construction (stored as
   a given typed value, or rejected), so a plain-Python oracle predicts exactly which rows are
   loaded, with which values and flags, and which are quarantined for which fields.
2. Files: a valid file damaged at random (truncated, bytes inserted, header changed, lines
   dropped, re-encoded, or replaced by noise) gives either a clean refusal that changes nothing
   or an import whose counts add up and whose partitions are whole — never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbc import codes
from pbc.warehouse import store
from pbc.warehouse.ingest import ImportRefused, import_file

pytestmark = pytest.mark.slow

BAD = object()  # marks a value the importer must reject
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def load_sample() -> Any:
    import importlib.util
    import sys

    name = "pbc_tests_warehouse_sample"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / "sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sample = load_sample()

# --- value strategies: (text in the file, expected stored value or BAD) -------------------------

pad = st.sampled_from(["", " ", "  ", "\t"])


def padded(inner: st.SearchStrategy[tuple[str, Any]]) -> st.SearchStrategy[tuple[str, Any]]:
    return st.tuples(pad, inner, pad).map(lambda t: (t[0] + t[1][0] + t[2], t[1][1]))


def dates() -> st.SearchStrategy[tuple[str, Any]]:
    valid = st.dates(dt.date(1850, 1, 1), dt.date(2100, 12, 31))
    iso = valid.map(lambda d: (d.isoformat(), d))
    uk = valid.map(lambda d: (d.strftime("%d/%m/%Y"), d))
    bad = st.sampled_from(["2008-02-30", "31/02/2008", "yesterday", "1849-12-31", "2101-01-01",
                           "2008/13/01", "", "--"]).map(lambda s: (s, BAD))  # fmt: skip
    return padded(st.one_of(iso, uk, bad))


def ints() -> st.SearchStrategy[tuple[str, Any]]:
    n = st.integers(-(10**17), 10**17)
    plain = n.map(lambda i: (str(i), i))
    excel = n.map(lambda i: (f"{i}.0", i))
    grouped = n.map(lambda i: (f"{i:,}", i))  # "1,234,567", as published spreadsheets write
    bad = st.sampled_from(["1.5", "1e3", "x", "", "12 345", "0x10", "1,23", "1,2345", ",123"])
    return padded(st.one_of(plain, excel, grouped, bad.map(lambda s: (s, BAD))))


def money(precision: int, scale: int, required: bool) -> st.SearchStrategy[tuple[str, Any]]:
    amounts = st.decimals(min_value=-(10**11), max_value=10**11, places=6, allow_nan=False)
    q = Decimal(1).scaleb(-scale)

    def expect(d: Decimal) -> Any:
        r = d.quantize(q, rounding=ROUND_HALF_UP)
        return r if abs(r) < Decimal(10) ** (precision - scale) else BAD

    plain = amounts.map(lambda d: (f"{d:f}", expect(d)))
    pounds = amounts.map(lambda d: (("-" if d < 0 else "") + f"£{abs(d):,f}", expect(d)))
    bad = st.sampled_from(["1.2.3", "abc", "1,2", "£", "12 000"]).map(lambda s: (s, BAD))
    missing = st.just(("", BAD if required else None))
    return padded(st.one_of(plain, pounds, bad, missing))


def codes_of(valid: list[str], bad: list[str]) -> st.SearchStrategy[tuple[str, Any]]:
    return padded(
        st.one_of(
            st.sampled_from(valid).map(lambda s: (s, s)),
            st.sampled_from(bad).map(lambda s: (s, BAD)),
        )  # fmt: skip
    )


def floats() -> st.SearchStrategy[tuple[str, Any]]:
    good = st.floats(allow_nan=False, allow_infinity=False, width=64).map(lambda f: (repr(f), f))
    grouped = st.sampled_from([("1,234.5", 1234.5), ("-12,345,678", -12345678.0)])
    bad = st.sampled_from(["nan", "inf", "-inf", "one", "1,23.5"]).map(lambda s: (s, BAD))
    return padded(st.one_of(good, grouped, bad, st.just(("", None))))


def bools() -> st.SearchStrategy[tuple[str, Any]]:
    true = st.sampled_from(["true", "TRUE", "t", "yes", "Y", "1"]).map(lambda s: (s, True))
    false = st.sampled_from(["false", "F", "no", "n", "0"]).map(lambda s: (s, False))
    bad = st.sampled_from(["maybe", "2", "yes!"]).map(lambda s: (s, BAD))
    return padded(st.one_of(true, false, bad, st.just(("", None))))


nhs_numbers = st.one_of(
    st.sampled_from(sample.VALID_NHS),
    st.sampled_from(["943 476 5919", "943-476-5919", "9434765918", "1111111111", "123", ""]),
    st.text(alphabet="0123456789 -", max_size=12),
)

row_values = st.fixed_dictionaries(
    {
        "nhs_number": nhs_numbers,
        "provider_code": codes_of(["RWG", "RC1", "rwg", "ABCDE"], ["R-1", "", "R/G", "..", "R G"]),
        "event_date": dates(),
        "length_of_stay": ints(),
        "point_of_delivery": codes_of(["EL", "DC", "NEL"], ["el", "XX", ""]),
        "price": money(14, 2, True),
        "factor": money(6, 4, False),
        "weight": floats(),
        "procedure_flag": bools(),
    }
)


def expected_row(i: int, v: dict[str, Any]) -> tuple[dict[str, Any] | None, set[str]]:
    """The stored row the importer must produce, or None and the fields that reject it."""
    bad = {k for k, x in v.items() if k != "nhs_number" and x[1] is BAD}
    if bad:
        return None, bad
    nhs = v["nhs_number"].strip(" \t\r\n") or None
    provider = v["provider_code"][1]
    return {
        "row_id": f"r{i}",
        "nhs_number": nhs,
        "provider_code": provider,
        "event_date": v["event_date"][1],
        "length_of_stay": v["length_of_stay"][1],
        "point_of_delivery": v["point_of_delivery"][1],
        "price": v["price"][1],
        "factor": v["factor"][1],
        "weight": v["weight"][1],
        "procedure_flag": v["procedure_flag"][1],
        "nhs_number_valid": nhs is not None and codes.is_valid_nhs_number(nhs),
        "provider_code_valid": codes.is_provider_code(provider),
        "period": v["event_date"][1].strftime("%Y-%m"),
    }, set()


def read_quarantine(path: str | None) -> list[dict[str, str]]:
    if path is None:
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@PROPERTY_SETTINGS
@given(st.lists(row_values, min_size=1, max_size=12))
def test_rows_are_loaded_or_quarantined_exactly_as_the_oracle_says(
    rows: list[dict[str, Any]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        lines = []
        for i, v in enumerate(rows):
            text = {k: (x if k == "nhs_number" else x[0]) for k, x in v.items()}
            lines.append([f"r{i}"] + [text[k] for k in sample.HEADER[1:]])
        src = sample.write_csv(tmp_path / "rows.csv", lines)
        result = import_file(sample.ACTIVITY, src, data_dir=tmp_path)

        expected = [expected_row(i, v) for i, v in enumerate(rows)]
        want_rows = {r["row_id"]: r for r, _ in expected if r is not None}
        want_bad = {i + 2: fields for i, (r, fields) in enumerate(expected) if r is None}

        assert result.rows_read == len(rows) == result.rows_loaded + result.rows_rejected
        assert result.rows_rejected == len(want_bad)
        got_bad: dict[int, set[str]] = {}
        for q in read_quarantine(result.quarantine_path):
            assert q["reason"]
            got_bad.setdefault(int(q["source_row"]), set()).add(q["field"])
        assert got_bad == want_bad

        got_rows = {}
        for name, entry in store.read_manifest(
            tmp_path / "warehouse" / "activity", "activity"
        ).partitions.items():
            keys = store.partition_values(name)
            for rel in entry.files:
                for r in pq.read_table(tmp_path / "warehouse" / "activity" / rel).to_pylist():
                    assert (r["period"], r["provider_code"]) == (
                        keys["period"],
                        keys["provider_code"],
                    )
                    got_rows[r["row_id"]] = r
        assert got_rows == want_rows
        assert result.rows_flagged == sum(
            not (r["nhs_number_valid"] and r["provider_code_valid"]) for r in want_rows.values()
        )


# --- whole files ---------------------------------------------------------------------------------


def _seeded_template() -> Path:
    """A data directory holding earlier data (built once; each example works on a copy)."""
    root = Path(tempfile.mkdtemp(prefix="pbc-fuzz-"))
    seed = sample.month_rows("2008-04", "RWG", 6) + sample.month_rows("2008-05", "RC1", 4)
    import_file(sample.ACTIVITY, sample.write_csv(root / "seed.csv", seed), data_dir=root / "data")
    return root / "data"


TEMPLATE: list[Path] = []


def template() -> Path:
    if not TEMPLATE:
        TEMPLATE.append(_seeded_template())
    return TEMPLATE[0]


def valid_file_bytes() -> bytes:
    rows = sample.month_rows("2008-04", "RWG", 5, price="1.50", prefix="n") + [
        sample.row("q1", price="1,2"),
        sample.row("q2", provider="RC1", date="2008-06-01", nhs="x"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        return sample.write_csv(Path(tmp) / "f.csv", rows).read_bytes()


VALID = valid_file_bytes()


@st.composite
def damaged_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["truncate", "insert", "header", "drop_lines", "encode", "noise",
                                 "quote"]))  # fmt: skip
    data = VALID
    if kind == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif kind == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    elif kind == "header":
        names = draw(st.lists(st.sampled_from(sample.HEADER + ["extra", "", "Price", "row id"]),
                              min_size=1, max_size=12))  # fmt: skip
        data = ",".join(names).encode() + data[data.index(b"\n") :]
    elif kind == "drop_lines":
        lines = data.split(b"\n")
        keep = draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
        data = b"\n".join(line for line, k in zip(lines, keep, strict=True) if k)
    elif kind == "encode":
        text = data.decode().replace("1.50", "£1.50").replace("n2008", "né2008")
        data = text.encode(draw(st.sampled_from(["latin-1", "utf-16", "utf-16-le", "cp1252"])))
    elif kind == "quote":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b'"' + data[at:]
    else:
        data = draw(st.binary(max_size=300))
    ext = draw(st.sampled_from([".csv", ".csv", ".csv", ".xlsx", ".parquet", ".dat"]))
    return ext, data


def files_snapshot(data_dir: Path) -> dict[str, bytes]:
    return {
        p.relative_to(data_dir).as_posix(): p.read_bytes()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.name != store.LOCK
    }


@PROPERTY_SETTINGS
@given(damaged_files())
def test_damaged_files_are_refused_cleanly_or_imported_whole(damaged: tuple[str, bytes]) -> None:
    ext, data = damaged
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        shutil.copytree(template(), data_dir)
        before = files_snapshot(data_dir)
        path = Path(tmp) / f"damaged{ext}"
        path.write_bytes(data)
        try:
            result = import_file(sample.ACTIVITY, path, data_dir=data_dir)
        except ImportRefused as refused:
            assert str(refused).startswith(f"damaged{ext}: ")
            assert refused.problem
            assert files_snapshot(data_dir) == before
            return
        assert result.rows_read == result.rows_loaded + result.rows_rejected > 0
        quarantined = read_quarantine(result.quarantine_path)
        assert len({q["source_row"] for q in quarantined}) == result.rows_rejected
        assert all(q["reason"] for q in quarantined)
        folder = data_dir / "warehouse" / "activity"
        manifest = store.read_manifest(folder, "activity")
        loaded = 0
        for name, entry in manifest.partitions.items():
            n = sum(pq.read_metadata(folder / rel).num_rows for rel in entry.files)
            assert n == entry.rows  # whole partitions only
            if name in result.partitions:
                loaded += n
        assert loaded == result.rows_loaded
        on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))
        assert on_disk == sorted(manifest.files())
        # partitions the file did not touch are byte-for-byte as before
        old = store.read_manifest(template() / "warehouse" / "activity", "activity")
        for name, entry in old.partitions.items():
            if name not in result.partitions:
                assert manifest.partitions[name] == entry
