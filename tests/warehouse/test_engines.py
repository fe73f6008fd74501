"""Spec tests run on every engine: the same Ibis expressions give the same answers on DuckDB
and PySpark, and money totals are identical to the penny (and to a plain-Python oracle)."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import ibis
import pyarrow.parquet as pq
import pytest

from pbc.warehouse import engine as wh_engine
from pbc.warehouse import store
from pbc.warehouse.ingest import import_file
from pbc.warehouse.money import money_product, round_money, round_money_py

# Half-penny edge cases: price x factor lands exactly on 0.005 (half-up goes away from zero).
TRICKY = [("1.00", "1.0050"), ("-1.00", "1.0050"), ("3.30", "1.0150"), ("0.01", "0.5000"),
          ("2.50", "1.0010"), ("999999.99", "1.2345"), ("-0.07", "1.0714")]  # fmt: skip


def penny(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, sample):  # type: ignore[no-untyped-def]
    """A small imported activity dataset, and the source rows as the oracle sees them."""
    data_dir = tmp_path_factory.mktemp("engines")
    rnd = random.Random(20080401)
    rows = []
    for i in range(400):
        price, factor = TRICKY[i] if i < len(TRICKY) else (
            f"{rnd.randint(-5000, 500000) / 1000:.3f}", f"{rnd.randint(9000, 12000) / 10000:.4f}")  # fmt: skip
        rows.append(
            sample.row(
                f"r{i:04d}",
                provider=rnd.choice(["RWG", "RC1", "RQW"]),
                date=f"2008-{rnd.randint(4, 9):02d}-{rnd.randint(1, 28):02d}",
                price=price,
                factor=factor,
                nhs=rnd.choice(sample.VALID_NHS + ("123", "")),
                los=str(rnd.randint(0, 20)),
            )
        )
    import_file(sample.ACTIVITY, sample.write_csv(data_dir / "a.csv", rows), data_dir=data_dir)
    oracle = [
        {
            "row_id": r[0],
            "provider_code": r[2],
            "period": r[3][:7],
            "price": penny(Decimal(r[6])),
            "factor": Decimal(r[7]).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
            "nhs_ok": r[1] in sample.VALID_NHS,
        }
        for r in rows
    ]
    return data_dir, oracle


def test_table_reads_exactly_the_stored_rows(engine, warehouse, sample) -> None:  # type: ignore[no-untyped-def]
    data_dir, oracle = warehouse
    t = wh_engine.table(engine, sample.ACTIVITY, data_dir=data_dir)
    assert t.schema() == wh_engine.ibis_schema(sample.ACTIVITY)
    got = t.order_by("row_id").to_pyarrow().to_pylist()
    files = store.live_files(sample.ACTIVITY, data_dir)
    expected = sorted(
        (r for f in files for r in pq.read_table(f).to_pylist()), key=lambda r: r["row_id"]
    )
    assert got == expected
    assert len(got) == len(oracle)


def test_money_totals_are_identical_and_half_up(engine, warehouse, sample) -> None:  # type: ignore[no-untyped-def]
    data_dir, oracle = warehouse
    t = wh_engine.table(engine, sample.ACTIVITY, data_dir=data_dir)
    m = t.mutate(adjusted=money_product(t.price, t.factor))
    expr = (
        m.group_by(["period", "provider_code"])
        .aggregate(n=m.count(), charged=m.price.sum(), adjusted=m.adjusted.sum())
        .order_by(["period", "provider_code"])
    )
    got = {(r["period"], r["provider_code"]): (r["n"], r["charged"], r["adjusted"])
           for r in expr.to_pyarrow().to_pylist()}  # fmt: skip
    want: dict[tuple[str, str], tuple[int, Decimal, Decimal]] = {}
    for o in oracle:
        n, charged, adjusted = want.get(
            (o["period"], o["provider_code"]), (0, Decimal(0), Decimal(0))
        )
        want[(o["period"], o["provider_code"])] = (
            n + 1, charged + o["price"], adjusted + penny(o["price"] * o["factor"]))  # fmt: skip
    assert got == want


def test_row_level_rounding_of_half_pennies(engine, warehouse, sample) -> None:  # type: ignore[no-untyped-def]
    data_dir, _ = warehouse
    t = wh_engine.table(engine, sample.ACTIVITY, data_dir=data_dir)
    ids = [f"r{i:04d}" for i in range(len(TRICKY))]
    expr = t.filter(t.row_id.isin(ids)).select("row_id", adjusted=money_product(t.price, t.factor))
    got = {r["row_id"]: r["adjusted"] for r in expr.to_pyarrow().to_pylist()}
    want = {
        i: round_money_py(Decimal(p) * Decimal(f)) for i, (p, f) in zip(ids, TRICKY, strict=True)
    }
    assert got == want
    assert got["r0000"] == Decimal("1.01") and got["r0001"] == Decimal("-1.01")


def test_round_money_refuses_floating_point(engine, warehouse, sample) -> None:  # type: ignore[no-untyped-def]
    data_dir, _ = warehouse
    t = wh_engine.table(engine, sample.ACTIVITY, data_dir=data_dir)
    with pytest.raises(TypeError, match="DECIMAL"):
        round_money(t.weight)
    assert round_money(t.price).type() == wh_engine.money_type()


def test_flags_filter_the_same_on_every_engine(engine, warehouse, sample) -> None:  # type: ignore[no-untyped-def]
    data_dir, oracle = warehouse
    t = wh_engine.table(engine, sample.ACTIVITY, data_dir=data_dir)
    invalid = t.filter(~t.nhs_number_valid).count().to_pyarrow().as_py()
    assert invalid == sum(not o["nhs_ok"] for o in oracle)
    per_month = t.group_by("period").aggregate(stays=t.length_of_stay.sum()).order_by("period")
    assert per_month.period.to_pyarrow().to_pylist() == sorted({o["period"] for o in oracle})


def test_never_imported_dataset_reads_empty_with_its_schema(engine, tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    t = wh_engine.table(engine, sample.ACTIVITY, data_dir=tmp_path)
    assert t.count().to_pyarrow().as_py() == 0
    assert t.schema() == wh_engine.ibis_schema(sample.ACTIVITY)
    assert t.price.sum().to_pyarrow().as_py() is None
    assert ibis.literal(1).to_pyarrow().as_py() == 1
