"""Activity and invoice matched, on every engine: a spell's charges come from the invoice lines
naming it (summed, latest codes), activity without lines keeps its own (none from an extract:
costed at the expected price), a line naming no activity is found."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from pbc.analytics import costing, invoices

D = Decimal


@pytest.fixture
def con(engine: ibis.BaseBackend) -> ibis.BaseBackend:
    return engine


SPELL_SCHEMA = pa.schema(
    [
        ("spell_id", pa.string()), ("provider_code", pa.string()),
        ("admission_method", pa.string()), ("admission_date", pa.date32()),
        ("discharge_date", pa.date32()), ("length_of_stay", pa.int64()),
        ("age_on_admission", pa.int64()), ("hrg_code", pa.string()),
        ("charged_point_of_delivery", pa.string()), ("charged_hrg_code", pa.string()),
        ("charged_excess_bed_days", pa.int64()), ("market_forces_factor", pa.string()),
        ("charged_price", pa.string()),
    ]
)  # fmt: skip


def activity() -> ibis.Table:
    """The spells as a table; money typed in the expression (a decimal column with nulls does
    not register as an in-memory table on every engine)."""
    t = ibis.memtable(spells())
    return t.mutate(
        market_forces_factor=t.market_forces_factor.cast("decimal(6, 4)"),
        charged_price=t.charged_price.cast("decimal(14, 2)"),
    )


def spells() -> pa.Table:
    def spell(key: str, hrg: str | None, charged: str | None) -> dict[str, object]:
        return {
            "spell_id": key, "provider_code": "RWG", "admission_method": "21",
            "admission_date": dt.date(2009, 1, 3), "discharge_date": dt.date(2009, 1, 12),
            "length_of_stay": 9, "age_on_admission": 67, "hrg_code": hrg,
            "charged_point_of_delivery": "NEL" if charged else None,
            "charged_hrg_code": hrg if charged else None,
            "charged_excess_bed_days": 0 if charged else None,
            "market_forces_factor": "1.1082" if charged else None,
            "charged_price": charged,
        }  # fmt: skip

    return pa.Table.from_pylist(
        [
            spell("RWG:1001", "EB10Z", None),  # from an extract, invoiced below
            spell("RWG:1002", "EB10Z", None),  # from an extract, not invoiced
            spell("RWG:1003", None, None),  # from an extract with no HRG: unpriced
            spell("S0000000001", "EB10Z", "2216.40"),  # pbc's own layout: charges on the row
        ],
        schema=SPELL_SCHEMA,
    )


def lines() -> pd.DataFrame:
    def line(spell: str, month: int, price: str, hrg: str) -> dict[str, object]:
        return {
            "provider_code": "RWG", "commissioner_code": "5P2",
            "invoice_month": dt.date(2009, month, 1), "activity_id": spell,
            "point_of_delivery": "NEL", "hrg_code": hrg, "excess_bed_days": 0,
            "market_forces_factor": D("1.1082"), "price": D(price),
        }  # fmt: skip

    return pd.DataFrame(
        [
            line("1001", 1, "2345.67", "EB10Z"),
            line("1001", 2, "-100.00", "EB11Z"),  # a credit in February, recoded
            line("9999", 1, "500.00", "EB10Z"),  # names no activity
        ]
    )


def tariff() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "financial_year": ["2008/09"], "point_of_delivery": ["NEL"], "hrg_code": ["EB10Z"],
            "treatment_function_code": [None], "price": [D("2000.00")],
            "trim_point_days": pd.array([10], dtype="Int64"), "excess_bed_day_rate": [D("200.00")],
            "short_stay_max_los_days": pd.array([None], dtype="Int64"),
            "short_stay_min_age": pd.array([None], dtype="Int64"),
        }
    )  # fmt: skip


def test_charges_come_from_the_invoice_lines_else_the_row(con: ibis.BaseBackend) -> None:
    apc = activity()
    matched = invoices.with_invoices(apc, ibis.memtable(lines()), "spell_id")
    mff = ibis.memtable(
        pd.DataFrame(
            {"financial_year": ["2008/09"], "provider_code": ["RWG"], "market_forces_factor": [D("1.1082")]}
        )
    )  # fmt: skip
    # Through Arrow: a money column with nulls does not convert to pandas on every engine.
    priced = con.to_pyarrow(costing.cost_apc(matched, ibis.memtable(tariff()), mff))
    out = {r["spell_id"]: r for r in priced.to_pylist()}
    assert {k: r["invoiced"] for k, r in out.items()} == {
        "RWG:1001": True, "RWG:1002": False, "RWG:1003": False, "S0000000001": False,
    }  # fmt: skip
    # Two lines: January's charge and February's credit; the latest line's HRG.
    assert out["RWG:1001"]["charged_price"] == D("2245.67")
    assert out["RWG:1001"]["charged_hrg_code"] == "EB11Z"
    # Expected (2000 x 1.1082, 9 days within trim) on every priced spell, invoiced or not.
    assert out["RWG:1001"]["expected_price"] == D("2216.40")
    assert out["RWG:1001"]["price_difference"] == D("29.27")  # the invoice minus expected
    assert out["RWG:1002"]["expected_price"] == D("2216.40")
    assert out["RWG:1002"]["charged_price"] is None
    assert not bool(out["RWG:1003"]["tariff_found"])  # no HRG: unpriced, pbc never groups
    assert out["S0000000001"]["charged_price"] == D("2216.40")  # its own charges kept


def test_a_line_naming_no_activity_is_unmatched(con: ibis.BaseBackend) -> None:
    apc = activity()
    found = con.to_pyarrow(invoices.unmatched_lines(ibis.memtable(lines()), apc.spell_id))
    assert found.column("activity_id").to_pylist() == ["9999"]


def test_statement_spend_is_expected_until_invoiced_then_the_invoice() -> None:
    """A HES spell loaded without an invoice appears in the spend at its expected cost; adding
    its invoice line changes the spend by exactly the invoice minus the expected cost."""
    from pbc.analytics.finance import spend
    from pbc.warehouse.datasets import DATASETS
    from pbc.warehouse.engine import stored_schema

    con = ibis.duckdb.connect()
    schema = stored_schema(DATASETS["apc"])
    base = {r["spell_id"]: r for r in spells().to_pylist()}["RWG:1001"]
    row = {**base, "gp_practice_code": "E82001", "commissioner_code": "5P2",
           "treatment_function_code": "300", "nhs_number": None}  # fmt: skip
    row["market_forces_factor"] = None
    row["charged_price"] = None
    apc = ibis.memtable(
        pa.table({n: pa.array([row.get(n)], type=schema.field(n).type) for n in schema.names})
    )
    practices = ibis.memtable(
        pd.DataFrame(
            {"gp_practice_code": ["E82001"], "locality_code": ["dacorum"], "pct_code": ["5P2"]}
        )
    )
    mff = ibis.memtable(
        pa.Table.from_pylist(
            [{"financial_year": "2008/09", "provider_code": "RWG", "market_forces_factor": D("1.1082")}],
            schema=pa.schema([("financial_year", pa.string()), ("provider_code", pa.string()),
                              ("market_forces_factor", pa.decimal128(6, 4))]),
        )
    )  # fmt: skip

    def statement(activity: ibis.Table) -> dict[str, object]:
        costed = spend.costed_activity("apc", activity, ibis.memtable(tariff()), mff)
        out = con.to_pyarrow(spend.spend_summary(spend.charged_to_practices(costed, practices)))
        [only] = out.to_pylist()
        return only

    expected = statement(apc)
    assert (expected["charged"], expected["expected_rows"]) == (D("2216.40"), 1)
    assert (expected["budget_line"], expected["point_of_delivery"]) == ("non_elective", "NEL")
    invoiced = statement(invoices.with_invoices(apc, ibis.memtable(lines()), "spell_id"))
    assert (invoiced["charged"], invoiced["expected_rows"]) == (D("2245.67"), 0)
    assert invoiced["charged"] - expected["charged"] == D("2245.67") - D("2216.40")


IMAGING_SCHEMA = pa.schema(
    [
        ("imaging_id", pa.string()), ("provider_code", pa.string()),
        ("parent_row_id", pa.string()), ("hrg_code", pa.string()),
        ("charged_point_of_delivery", pa.string()), ("charged_hrg_code", pa.string()),
        ("charged_excess_bed_days", pa.int64()), ("market_forces_factor", pa.string()),
        ("charged_price", pa.string()),
    ]
)  # fmt: skip


def scans() -> ibis.Table:
    def scan(key: str, parent: str | None, hrg: str) -> dict[str, object]:
        return {
            "imaging_id": key, "provider_code": "RWG", "parent_row_id": parent, "hrg_code": hrg,
            "charged_point_of_delivery": "IMG", "charged_hrg_code": hrg,
            "charged_excess_bed_days": 0, "market_forces_factor": "1.1082",
            "charged_price": "130.70",
        }  # fmt: skip

    t = ibis.memtable(
        pa.Table.from_pylist(
            [
                scan("RWG:S1", "RWG:1001", "RA08Z"),  # a CT unbundled from spell 1001
                scan("RWG:DA7", None, "RA26Z"),  # GP direct access: its own id
                scan("RWG:S3", "RWG:1002", "RA23Z"),  # no invoice line: keeps its own charge
            ],
            schema=IMAGING_SCHEMA,
        )
    )
    return t.mutate(
        market_forces_factor=t.market_forces_factor.cast("decimal(6, 4)"),
        charged_price=t.charged_price.cast("decimal(14, 2)"),
    )


def imaging_lines() -> pd.DataFrame:
    def img(activity: str, hrg: str, price: str) -> dict[str, object]:
        return {
            "provider_code": "RWG", "commissioner_code": "5P2",
            "invoice_month": dt.date(2009, 1, 1), "activity_id": activity,
            "point_of_delivery": "IMG", "hrg_code": hrg, "excess_bed_days": 0,
            "market_forces_factor": D("1.1082"), "price": D(price),
        }  # fmt: skip

    return pd.concat(
        [
            lines(),
            pd.DataFrame(
                [
                    img("1001", "RA08Z", "133.00"),  # names the spell the CT was unbundled from
                    img("DA7", "RA26Z", "31.03"),  # names the scan itself
                ]
            ),
        ],
        ignore_index=True,
    )


def test_an_imaging_line_charges_its_scan_not_its_spell(con: ibis.BaseBackend) -> None:
    """Diagnostic imaging is a priced line of its own: the IMG line naming spell 1001 charges
    the CT unbundled from it (matched by parent and HRG), not the spell; the direct access scan
    is matched by its own id; a scan without a line keeps its own charge."""
    invoice = ibis.memtable(imaging_lines())
    spells_out = con.to_pyarrow(invoices.with_invoices(activity(), invoice, "spell_id"))
    spell = {r["spell_id"]: r for r in spells_out.to_pylist()}["RWG:1001"]
    assert (spell["charged_price"], spell["charged_point_of_delivery"]) == (D("2245.67"), "NEL")
    imaging = scans()
    out = con.to_pyarrow(
        invoices.with_invoices(
            imaging, invoice, "imaging_id", rows=invoices.per_scan(invoice, imaging)
        )
    )
    got = {r["imaging_id"]: (r["invoiced"], r["charged_price"]) for r in out.to_pylist()}
    assert got == {
        "RWG:S1": (True, D("133.00")),
        "RWG:DA7": (True, D("31.03")),
        "RWG:S3": (False, D("130.70")),
    }
