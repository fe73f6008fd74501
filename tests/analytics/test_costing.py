"""Costing spec tests on hand-made spells with known prices (trim point, excess bed days,
short-stay adjustment, MFF, DNAs), run on every engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pandas as pd
import pytest

from pbc.analytics import costing

D = Decimal


def tariff_rows() -> pd.DataFrame:
    rows = [
        # year, pod, hrg, tf, price, trim, ebd rate, short-stay max los, min age
        ("2008/09", "EL", "HB12C", None, "5600.00", 13, "230.00", None, None),
        ("2008/09", "DC", "HB12C", None, "5200.00", None, None, None, None),
        ("2008/09", "NEL", "DZ22A", None, "2500.00", 10, "200.00", None, None),
        ("2008/09", "NELST", "DZ22A", None, "600.00", None, None, 1, 19),
        ("2007/08", "NEL", "DZ22A", None, "2415.00", 10, "193.00", None, None),
        ("2008/09", "OPFA", None, "110", "160.00", None, None, None, None),
        ("2008/09", "OPFUP", None, "110", "85.00", None, None, None, None),
        ("2008/09", "OPPROC", "BZ24Z", None, "120.00", None, None, None, None),
        ("2008/09", "AE", "VB08Z", None, "95.00", None, None, None, None),
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "financial_year", "point_of_delivery", "hrg_code", "treatment_function_code", "price",
            "trim_point_days", "excess_bed_day_rate", "short_stay_max_los_days", "short_stay_min_age",
        ],
    )  # fmt: skip
    df["price"] = df["price"].map(D)
    df["excess_bed_day_rate"] = df["excess_bed_day_rate"].map(lambda v: D(v) if v else None)
    for col in ("trim_point_days", "short_stay_max_los_days", "short_stay_min_age"):
        df[col] = df[col].astype("Int64")
    return df


def mff_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "financial_year": ["2008/09", "2007/08"],
            "provider_code": ["RWG", "RWG"],
            "market_forces_factor": [D("1.1082"), D("1.0500")],
        }
    )


def spell(spell_id: str, method: str, admitted: str, discharged: str, hrg: str, age: int = 70,
          charged: str = "0.00") -> dict[str, object]:  # fmt: skip
    a, d = dt.date.fromisoformat(admitted), dt.date.fromisoformat(discharged)
    return {
        "spell_id": spell_id, "provider_code": "RWG", "admission_method": method,
        "admission_date": a, "discharge_date": d, "length_of_stay": (d - a).days,
        "age_on_admission": age, "hrg_code": hrg, "charged_price": D(charged),
    }  # fmt: skip


def run(con: ibis.BaseBackend, expr: ibis.Table) -> pd.DataFrame:
    return con.execute(expr).set_index(expr.columns[0])


@pytest.fixture
def con(engine: ibis.BaseBackend) -> ibis.BaseBackend:
    """Every costing spec test runs on each warehouse engine (DuckDB, PySpark)."""
    return engine


def test_apc_prices(con: ibis.BaseBackend) -> None:
    apc = ibis.memtable(
        pd.DataFrame(
            [
                spell("el-short", "11", "2008-06-01", "2008-06-05", "HB12C", charged="6205.92"),
                spell("el-long", "11", "2008-06-01", "2008-06-20", "HB12C"),  # 19 days, trim 13
                spell("dc", "12", "2008-06-01", "2008-06-01", "HB12C"),
                spell("nel", "21", "2008-07-01", "2008-07-12", "DZ22A"),  # 11 days, trim 10
                spell("nelst", "21", "2008-07-01", "2008-07-02", "DZ22A"),  # 1 day, adult
                spell("child", "21", "2008-07-01", "2008-07-02", "DZ22A", age=12),  # too young
                spell("prior-year", "21", "2008-03-20", "2008-03-25", "DZ22A"),
            ]
        )
    )
    out = run(con, costing.cost_apc(apc, ibis.memtable(tariff_rows()), ibis.memtable(mff_rows())))
    mff = D("1.1082")
    assert out.loc["el-short", "expected_point_of_delivery"] == "EL"
    assert out.loc["el-short", "expected_price"] == (D("5600") * mff).quantize(D("0.01"))
    assert out.loc["el-short", "price_difference"] == D("0.00")
    assert out.loc["el-long", "expected_excess_bed_days"] == 6
    assert out.loc["el-long", "excess_bed_day_cost"] == D("1380.00")
    assert out.loc["el-long", "expected_price"] == ((D("5600") + 6 * D("230")) * mff).quantize(
        D("0.01")
    )
    assert out.loc["dc", "expected_point_of_delivery"] == "DC"
    assert out.loc["dc", "expected_price"] == D("5762.64")  # 5200 x 1.1082
    assert out.loc["nel", "expected_excess_bed_days"] == 1
    assert out.loc["nel", "expected_price"] == D("2992.14")  # (2500 + 1 x 200) x 1.1082
    assert out.loc["nelst", "expected_point_of_delivery"] == "NELST"
    assert out.loc["nelst", "expected_price"] == D("664.92")
    assert out.loc["child", "expected_point_of_delivery"] == "NEL"
    assert out.loc["prior-year", "financial_year"] == "2007/08"
    assert out.loc["prior-year", "expected_price"] == (D("2415") * D("1.05")).quantize(D("0.01"))
    assert bool(out["tariff_found"].all())


def test_op_and_ae_prices_and_dna(con: ibis.BaseBackend) -> None:
    def att(aid: str, first: str, status: str, proc: bool, hrg: str | None) -> dict[str, object]:
        return {
            "attendance_id": aid, "provider_code": "RWG", "attendance_date": dt.date(2008, 9, 1),
            "first_attendance": first, "attended_or_did_not_attend": status,
            "procedure_flag": proc, "hrg_code": hrg, "treatment_function_code": "110",
            "charged_price": D("177.31"),
        }  # fmt: skip

    op = ibis.memtable(
        pd.DataFrame(
            [
                att("first", "1", "5", False, None),
                att("follow", "2", "6", False, None),
                att("tel-first", "3", "5", False, None),
                att("proc", "2", "5", True, "BZ24Z"),
                att("dna", "1", "3", False, None),
            ]
        )
    )
    out = run(con, costing.cost_op(op, ibis.memtable(tariff_rows()), ibis.memtable(mff_rows())))
    assert list(out.loc[["first", "follow", "tel-first", "proc"], "expected_point_of_delivery"]) == [
        "OPFA", "OPFUP", "OPFA", "OPPROC",
    ]  # fmt: skip
    assert out.loc["first", "expected_price"] == D("177.31")  # 160 x 1.1082
    assert out.loc["first", "price_difference"] == D("0.00")
    assert out.loc["follow", "expected_price"] == D("94.20")  # 85 x 1.1082 = 94.197
    assert out.loc["proc", "expected_price"] == D("132.98")  # 120 x 1.1082 = 132.984
    assert out.loc["dna", "expected_price"] == D("0.00")
    assert out.loc["dna", "price_difference"] == D("177.31")
    assert bool(out["tariff_found"].all())

    ae = ibis.memtable(
        pd.DataFrame(
            [{"attendance_id": "a1", "provider_code": "RWG", "arrival_date": dt.date(2008, 12, 24),
              "hrg_code": "VB08Z", "charged_price": D("105.28")}]
        )
    )  # fmt: skip
    out = run(con, costing.cost_ae(ae, ibis.memtable(tariff_rows()), ibis.memtable(mff_rows())))
    assert out.loc["a1", "expected_price"] == D("105.28")  # 95 x 1.1082 = 105.279


def test_rounding_is_half_up_at_the_penny(con: ibis.BaseBackend) -> None:
    tariff = tariff_rows()
    tariff.loc[tariff["point_of_delivery"] == "AE", "price"] = D("10.10")
    mff = pd.DataFrame(
        {
            "financial_year": ["2008/09"],
            "provider_code": ["RWG"],
            "market_forces_factor": [D("1.2500")],
        }
    )
    ae = ibis.memtable(
        pd.DataFrame(
            [{"attendance_id": "a1", "provider_code": "RWG", "arrival_date": dt.date(2008, 12, 24),
              "hrg_code": "VB08Z", "charged_price": D("12.63")}]
        )
    )  # fmt: skip
    out = run(con, costing.cost_ae(ae, ibis.memtable(tariff), ibis.memtable(mff)))
    assert out.loc["a1", "expected_price"] == D("12.63")  # 12.625 rounds up, not to even


def test_missing_tariff_row_is_flagged_not_priced(con: ibis.BaseBackend) -> None:
    apc = ibis.memtable(pd.DataFrame([spell("x", "11", "2008-06-01", "2008-06-03", "ZZ99Z")]))
    out = run(con, costing.cost_apc(apc, ibis.memtable(tariff_rows()), ibis.memtable(mff_rows())))
    assert not bool(out.loc["x", "tariff_found"])
    assert pd.isna(out.loc["x", "expected_price"])


def test_integer_pence_helpers_round_half_away_from_zero(con: ibis.BaseBackend) -> None:
    """The integer arithmetic behind expected prices: pence x MFF units back to pence, half-up
    away from zero (as DECIMAL ROUND and Python's ROUND_HALF_UP), and pence <-> DECIMAL exact."""
    units = [126_250, 5_000, 4_999, -5_000, -4_999, -15_001, 0, 99_999_999_995_000]
    t = ibis.memtable(pd.DataFrame({"i": range(len(units)), "units": units}))
    out = run(con, t.select("i", pence=costing.round_units_to_pence(t.units)))
    want = [int((D(u) / 10_000).quantize(D("1"), rounding="ROUND_HALF_UP")) for u in units]
    assert list(out["pence"]) == want == [13, 1, 0, -1, 0, -2, 0, 10_000_000_000]
    amounts = [D("0.05"), D("-12.34"), D("99999999.99")]
    money = ibis.memtable(pd.DataFrame({"i": [0, 1, 2], "m": amounts}))
    out = run(con, money.select("i", back=costing.from_pence(costing.to_pence(money.m))))
    assert list(out["back"]) == amounts


# --- local prices: non-tariff services and unbundled imaging --------------------------------


def local_rows() -> pd.DataFrame:
    rows = [
        # year, pod, hrg, tf, description, price
        ("2008/09", "IMG", "RA01Z", None, "MRI scan, one area", "195.00"),
        ("2008/09", "IMG", "RA26Z", None, "Plain film X-ray", "28.00"),
        ("2007/08", "IMG", "RA26Z", None, "Plain film X-ray", "27.00"),
        ("2008/09", "OPFA", None, "650", "Physiotherapy: first attendance", "48.00"),
        ("2008/09", "OPFUP", None, "650", "Physiotherapy: follow-up attendance", "36.00"),
        # the national tariff prices T&O first attendances: this local row must not override it
        ("2008/09", "OPFA", None, "110", "Local T&O first attendance", "99.00"),
        ("2008/09", "EL", "ZZ10Z", None, "Non-tariff elective procedure", "900.00"),
        ("2008/09", "AE", "VB08Z", None, "Local A&E price (never used)", "1.00"),
    ]
    df = pd.DataFrame(
        rows,
        columns=["financial_year", "point_of_delivery", "hrg_code", "treatment_function_code",
                 "service_description", "price"],
    )  # fmt: skip
    df["price"] = df["price"].map(D)
    return df


def costed(con: ibis.BaseBackend, dataset: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    expr = costing.cost(
        dataset, ibis.memtable(pd.DataFrame(rows)), ibis.memtable(tariff_rows()),
        ibis.memtable(mff_rows()), ibis.memtable(local_rows()),
    )  # fmt: skip
    return run(con, expr)


def test_non_tariff_services_are_priced_at_the_local_price(con: ibis.BaseBackend) -> None:
    def att(aid: str, first: str, tf: str, status: str = "5") -> dict[str, object]:
        return {
            "attendance_id": aid, "provider_code": "RWG", "attendance_date": dt.date(2008, 9, 1),
            "first_attendance": first, "attended_or_did_not_attend": status,
            "procedure_flag": False, "hrg_code": None, "treatment_function_code": tf,
            "charged_price": D("53.19"),
        }  # fmt: skip

    out = costed(con, "op", [att("physio-first", "1", "650"), att("physio-fup", "2", "650"),
                             att("physio-dna", "1", "650", "3"), att("tando", "1", "110"),
                             att("podiatry", "1", "653")])  # fmt: skip
    assert out.loc["physio-first", "expected_price"] == D("53.19")  # 48 x 1.1082 = 53.1936
    assert out.loc["physio-first", "base_price"] == D("48.00")
    assert out.loc["physio-first", "price_source"] == "local"
    assert out.loc["physio-first", "price_difference"] == D("0.00")
    assert out.loc["physio-fup", "expected_price"] == D("39.90")  # 36 x 1.1082 = 39.8952
    assert out.loc["physio-dna", "expected_price"] == D("0.00")
    # the national tariff wins over a local row for the same service
    assert out.loc["tando", "expected_price"] == D("177.31")  # 160 x 1.1082
    assert out.loc["tando", "price_source"] == "tariff"
    # a service on neither list stays unpriced
    assert not bool(out.loc["podiatry", "tariff_found"])
    assert pd.isna(out.loc["podiatry", "expected_price"])
    assert bool(out.loc["podiatry", "mff_found"])

    apc = costed(con, "apc", [spell("local-el", "11", "2008-06-01", "2008-06-11", "ZZ10Z"),
                              spell("local-dc", "11", "2008-06-01", "2008-06-01", "ZZ10Z")])  # fmt: skip
    # flat per case: 10 days in hospital, no trim point, no excess bed days
    assert apc.loc["local-el", "expected_price"] == D("997.38")  # 900 x 1.1082
    assert apc.loc["local-el", "expected_excess_bed_days"] == 0
    assert apc.loc["local-el", "price_source"] == "local"
    assert not bool(apc.loc["local-dc", "tariff_found"])  # no DC price on either list

    ae = costed(con, "ae", [{"attendance_id": "a1", "provider_code": "RWG",
                             "arrival_date": dt.date(2008, 12, 24), "hrg_code": "VB08Z",
                             "charged_price": D("105.28")}])  # fmt: skip
    assert ae.loc["a1", "expected_price"] == D("105.28")  # national, not the local £1


def scan(iid: str, hrg: str, day: str, provider: str = "RWG", charged: str = "216.10",
         parent: str | None = "S1") -> dict[str, object]:  # fmt: skip
    return {
        "imaging_id": iid, "provider_code": provider, "imaging_date": dt.date.fromisoformat(day),
        "hrg_code": hrg, "parent_dataset": "apc" if parent else None, "parent_row_id": parent,
        "charged_price": D(charged),
    }  # fmt: skip


def test_unbundled_imaging_is_priced_from_the_local_list_times_mff(con: ibis.BaseBackend) -> None:
    out = costed(con, "imaging", [
        scan("mri", "RA01Z", "2008-06-01"),
        scan("xr", "RA26Z", "2008-06-01", charged="40.00", parent=None),
        scan("xr-prior", "RA26Z", "2008-03-31", charged="28.35"),
        scan("unknown", "RA99Z", "2008-06-01"),
    ])  # fmt: skip
    assert out.loc["mri", "expected_point_of_delivery"] == "IMG"
    assert out.loc["mri", "expected_price"] == D("216.10")  # 195 x 1.1082 = 216.099
    assert out.loc["mri", "price_difference"] == D("0.00")
    assert out.loc["mri", "price_source"] == "local"
    assert out.loc["xr", "expected_price"] == D("31.03")  # 28 x 1.1082 = 31.0296
    assert out.loc["xr", "price_difference"] == D("8.97")
    assert out.loc["xr-prior", "financial_year"] == "2007/08"
    assert out.loc["xr-prior", "expected_price"] == D("28.35")  # 27 x 1.05
    assert not bool(out.loc["unknown", "tariff_found"])
    with pytest.raises(ValueError, match="local price list"):
        costing.cost("imaging", ibis.memtable(pd.DataFrame([scan("x", "RA01Z", "2008-06-01")])),
                     ibis.memtable(tariff_rows()), ibis.memtable(mff_rows()))  # fmt: skip


def test_a_provider_without_an_mff_row_is_unpriced_not_free(con: ibis.BaseBackend) -> None:
    """A missing market forces factor leaves the price null and the row unpriced (it used to
    count as found, so the spend summary showed £0 at tariff)."""
    from pbc.analytics.finance import spend

    def invoiced(row: dict[str, object]) -> dict[str, object]:
        return {**row, "nhs_number": "9990000018", "gp_practice_code": "E82601",
                "treatment_function_code": "110", "commissioner_code": "5P3",
                "charged_point_of_delivery": "EL", "charged_hrg_code": row["hrg_code"]}  # fmt: skip

    spells = [
        invoiced(spell("rwg", "11", "2008-06-01", "2008-06-05", "HB12C", charged="6205.92")),
        invoiced({**spell("rxx", "11", "2008-06-01", "2008-06-05", "HB12C", charged="6000.00"),
                  "provider_code": "RXX"}),
    ]  # fmt: skip
    apc = ibis.memtable(pd.DataFrame(spells))
    tariff, mff = ibis.memtable(tariff_rows()), ibis.memtable(mff_rows())
    out = run(con, costing.cost_apc(apc, tariff, mff))
    assert out.loc["rxx", "base_price"] == D("5600.00")  # the tariff row is there...
    assert not bool(out.loc["rxx", "mff_found"])  # ...the MFF is not
    assert not bool(out.loc["rxx", "tariff_found"])
    assert pd.isna(out.loc["rxx", "expected_price"])
    assert bool(out.loc["rwg", "tariff_found"]) and bool(out.loc["rwg", "mff_found"])

    practices = ibis.memtable(pd.DataFrame(
        {"gp_practice_code": ["E82601"], "locality_code": ["dacorum"], "pct_code": ["5P3"]}
    ))  # fmt: skip
    charged = spend.charged_to_practices(spend.costed_activity("apc", apc, tariff, mff), practices)
    summary = con.execute(spend.spend_summary(charged)).set_index("provider_code")
    assert summary.loc["RXX", "unpriced"] == 1
    assert summary.loc["RXX", "charged"] == D("6000.00")
    assert summary.loc["RWG", "unpriced"] == 0
    assert summary.loc["RWG", "at_tariff"] == D("6205.92")


def test_costed_imaging_reaches_the_outpatients_line_with_its_components(
    con: ibis.BaseBackend,
) -> None:
    from pbc.analytics.finance import spend

    rows = [
        {**scan("mri", "RA01Z", "2008-06-01"), "nhs_number": "9990000018",
         "gp_practice_code": "E82601", "commissioner_code": "5P3",
         "charged_point_of_delivery": "IMG", "charged_hrg_code": "RA01Z",
         "charged_excess_bed_days": 0, "market_forces_factor": D("1.1082")},
        {**scan("xr", "RA26Z", "2008-06-20", charged="40.00", parent=None),
         "nhs_number": "9990000018", "gp_practice_code": "E82601", "commissioner_code": "5P3",
         "charged_point_of_delivery": "IMG", "charged_hrg_code": "RA26Z",
         "charged_excess_bed_days": 0, "market_forces_factor": D("1.2000")},
    ]  # fmt: skip
    imaging = ibis.memtable(pd.DataFrame(rows))
    tariff, mff, local = (ibis.memtable(f()) for f in (tariff_rows, mff_rows, local_rows))
    c = spend.costed_activity("imaging", imaging, tariff, mff, local)
    out = run(con, c.drop("dataset"))  # indexed by row_id
    assert set(out["budget_line"]) == {"outpatients"}
    assert set(out["treatment_function_code"]) == {"812"}
    assert out.loc["mri", "parent_row_id"] == "S1" and pd.isna(out.loc["xr", "parent_row_id"])
    assert out.loc["mri", "base_price"] == D("195.00")
    assert out.loc["xr", "charged_market_forces_factor"] == D("1.2000")
    assert out.loc["xr", "expected_market_forces_factor"] == D("1.1082")
    row = {"dataset": "imaging", **out.loc["xr"].to_dict(), "row_id": "xr"}
    assert spend.differences(row) == ["MFF 1.2000 applied, 1.1082 in force"]
    practices = ibis.memtable(pd.DataFrame(
        {"gp_practice_code": ["E82601"], "locality_code": ["dacorum"], "pct_code": ["5P3"]}
    ))  # fmt: skip
    summary = spend.activity_summary(
        {"imaging": imaging}, tariff, mff, practices, dt.date(2008, 4, 1), dt.date(2009, 3, 31),
        local_prices=local,
    )  # fmt: skip
    got = con.execute(summary)
    assert list(got["budget_line"].unique()) == ["outpatients"]
    assert sum(got["charged"]) == D("256.10")  # 216.10 + 40.00, what was invoiced
    assert sum(got["at_tariff"]) == D("247.13")  # 216.10 + 31.03
    assert sum(got["activity"]) == 2 and sum(got["unpriced"]) == 0
