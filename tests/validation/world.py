"""Hand-made warehouse rows for the validation spec tests.

`World` builds the rules' inputs from a few rows: every row starts from a correct, fully
populated default (a registered patient of a 5P3 practice, charged at tariff) and a test
overrides only the fields it is about.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pbc.analytics import validation as v
from pbc.codes import nhs_number_check_digit
from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.engine import stored_schema

D = Decimal
PRACTICE = "E82001"
OTHER_PCT_PRACTICE = "E82500"


def nhs(n: int) -> str:
    """A valid NHS number in the test range (999...), the n-th with a usable check digit."""
    k = n
    while True:
        first = f"999{k:06d}"
        check = nhs_number_check_digit(first)
        if check is not None and len(set(first + str(check))) > 1:
            return first + str(check)
        k += 1_000_000 // 7 + 1  # try another number far away


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def apc_row(spell_id: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "spell_id": spell_id,
        "nhs_number": nhs(1),
        "gp_practice_code": PRACTICE,
        "provider_code": "RWG",
        "sex": "F",
        "age_on_admission": 70,
        "admission_date": day("2008-06-01"),
        "discharge_date": day("2008-06-05"),
        "length_of_stay": 4,
        "admission_method": "11",
        "patient_classification": "1",
        "treatment_function_code": "100",
        "primary_diagnosis_code": "K40.9",
        "procedure_flag": True,
        "discharge_method": "1",
        "hrg_code": "FZ18A",
        "point_of_delivery": "EL",
        "commissioner_code": "5P3",
        "charged_point_of_delivery": "EL",
        "charged_hrg_code": "FZ18A",
        "charged_excess_bed_days": 0,
        "market_forces_factor": D("1.1000"),
        "charged_price": D("2200.00"),
    }
    row.update(over)
    if "length_of_stay" not in over:
        row["length_of_stay"] = (row["discharge_date"] - row["admission_date"]).days
    return row


def op_row(attendance_id: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "attendance_id": attendance_id,
        "nhs_number": nhs(1),
        "gp_practice_code": PRACTICE,
        "provider_code": "RWG",
        "sex": "F",
        "age_at_attendance": 60,
        "attendance_date": day("2008-06-02"),
        "first_attendance": "1",
        "attended_or_did_not_attend": "5",
        "treatment_function_code": "110",
        "referral_source": "03",
        "priority_type": "1",
        "gp_approval": None,
        "referral_id": "R1",
        "procedure_flag": False,
        "hrg_code": None,
        "point_of_delivery": "OPFA",
        "commissioner_code": "5P3",
        "charged_point_of_delivery": "OPFA",
        "charged_hrg_code": None,
        "charged_excess_bed_days": 0,
        "market_forces_factor": D("1.1000"),
        "charged_price": D("176.00"),
    }
    row.update(over)
    return row


def ae_row(attendance_id: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "attendance_id": attendance_id,
        "nhs_number": nhs(1),
        "gp_practice_code": PRACTICE,
        "provider_code": "RWG",
        "sex": "F",
        "age_at_attendance": 60,
        "arrival_date": day("2008-06-03"),
        "ae_department_type": "01",
        "ae_attendance_category": "1",
        "ae_attendance_disposal": "03",
        "hrg_code": "VB08Z",
        "point_of_delivery": "AE",
        "commissioner_code": "5P3",
        "charged_point_of_delivery": "AE",
        "charged_hrg_code": "VB08Z",
        "charged_excess_bed_days": 0,
        "market_forces_factor": D("1.1000"),
        "charged_price": D("104.50"),
    }
    row.update(over)
    return row


def extract(**over: Any) -> dict[str, Any]:
    """The fields of a row from a HES / SUS extract: no charge of its own (it comes from the
    provider's invoice lines)."""
    nothing = dict.fromkeys(
        ("charged_point_of_delivery", "charged_hrg_code", "charged_excess_bed_days",
         "market_forces_factor", "charged_price"),
    )  # fmt: skip
    return {**nothing, **over}


def line_row(activity_id: str, **over: Any) -> dict[str, Any]:
    """A line of a provider's invoice (`invoice_lines`) charging spell `activity_id`."""
    row: dict[str, Any] = {
        "provider_code": "RWG",
        "commissioner_code": "5P3",
        "invoice_month": day("2009-01-01"),
        "activity_id": activity_id,
        "point_of_delivery": "NEL",
        "hrg_code": "DZ22Z",
        "treatment_function_code": "300",
        "activity_date": day("2009-01-12"),
        "excess_bed_days": 0,
        "market_forces_factor": D("1.1000"),
        "price": D("2310.00"),
    }
    row.update(over)
    return row


def scan_row(imaging_id: str, parent_row_id: str | None, hrg_code: str) -> dict[str, Any]:
    """An unbundled scan (`imaging`) of provider RWG, unbundled from `parent_row_id` (None: GP
    direct access)."""
    return {
        "imaging_id": imaging_id,
        "parent_row_id": parent_row_id,
        "provider_code": "RWG",
        "commissioner_code": "5P3",
        "gp_practice_code": PRACTICE,
        "imaging_date": day("2009-01-05"),
        "point_of_delivery": "IMG",
        "hrg_code": hrg_code,
    }


def patient_row(number: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "nhs_number": number,
        "gp_practice_code": PRACTICE,
        "registration_start_date": day("2000-01-01"),
        "registration_end_date": None,
        "deregistration_reason": None,
        "date_of_birth": day("1940-01-01"),
        "sex": "F",
        "deprivation_quintile": 3,
    }
    row.update(over)
    return row


TARIFF = [
    # year, pod, hrg, tf, price, trim, ebd rate, short-stay max los, min age
    ("2008/09", "EL", "FZ18A", None, "2000.00", 5, "200.00", None, None),
    ("2008/09", "DC", "FZ18A", None, "1500.00", None, None, None, None),
    ("2008/09", "NEL", "DZ22Z", None, "2100.00", 14, "210.00", None, None),
    ("2008/09", "NELST", "DZ22Z", None, "600.00", None, None, 1, 19),
    ("2008/09", "DC", "BZ24Z", None, "700.00", None, None, None, None),
    ("2008/09", "OPPROC", "BZ24Z", None, "150.00", None, None, None, None),
    ("2007/08", "DC", "BZ24Z", None, "675.00", None, None, None, None),
    ("2008/09", "OPFA", None, "110", "160.00", None, None, None, None),
    ("2008/09", "OPFUP", None, "110", "85.00", None, None, None, None),
    ("2008/09", "AE", "VB08Z", None, "95.00", None, None, None, None),
]


def tariff_rows() -> list[dict[str, Any]]:
    out = []
    for year, pod, hrg, tf, price, trim, rate, los, age in TARIFF:
        out.append(
            {
                "financial_year": year,
                "point_of_delivery": pod,
                "hrg_code": hrg,
                "treatment_function_code": tf,
                "hrg_description": None,
                "price": D(price),
                "trim_point_days": trim,
                "excess_bed_day_rate": D(rate) if rate else None,
                "short_stay_max_los_days": los,
                "short_stay_min_age": age,
            }
        )
    return out


def _arrow(dataset: str, rows: list[dict[str, Any]]) -> pa.Table:
    """The rows with the dataset's stored schema (flags and period left empty)."""
    schema = stored_schema(DATASETS[dataset])
    return pa.table(
        {name: pa.array([r.get(name) for r in rows], type=schema.field(name).type)
         for name in schema.names}
    )  # fmt: skip


def _table(con: Any, dataset: str, rows: list[dict[str, Any]]) -> ibis.Table:
    """DuckDB: a memtable. PySpark: a Parquet file read by Spark, as the warehouse does (ibis
    12's PySpark memtables cannot hold a null DECIMAL)."""
    arrow = _arrow(dataset, rows)
    if con.name != "pyspark":
        return ibis.memtable(arrow)
    folder = Path(tempfile.mkdtemp(prefix="pbc-validation-"))
    path = folder / f"{dataset}.parquet"
    pq.write_table(arrow, path)
    name = f"t_{dataset}_{secrets.token_hex(4)}"
    con._session.read.parquet(str(path)).createOrReplaceTempView(name)
    return con.table(name)


class World:
    """Hand-made inputs; `find(engine, rule)` runs one rule and returns its findings."""

    def __init__(self) -> None:
        self.apc: list[dict[str, Any]] = []
        self.op: list[dict[str, Any]] = []
        self.ae: list[dict[str, Any]] = []
        self.invoice_lines: list[dict[str, Any]] | None = None  # None: no invoices at all
        # Unbundled scans (`imaging`), None: the rules get no imaging table (IMG lines unjudged).
        self.imaging: list[dict[str, Any]] | None = None
        self.patients: list[dict[str, Any]] = [patient_row(nhs(n)) for n in range(1, 6)]
        self.practices = [
            {
                "gp_practice_code": PRACTICE,
                "practice_name": "A",
                "locality_code": "dacorum",
                "locality_name": "Dacorum",
                "pct_code": "5P3",
                "pct_name": "West Herts",
            },
            {
                "gp_practice_code": OTHER_PCT_PRACTICE,
                "practice_name": "B",
                "locality_code": "welwyn-hatfield",
                "locality_name": "Welwyn Hatfield",
                "pct_code": "5P2",
                "pct_name": "East and North Herts",
            },
        ]
        self.tariff = tariff_rows()
        self.mff = [
            {"financial_year": y, "provider_code": "RWG", "market_forces_factor": D("1.1000")}
            for y in ("2007/08", "2008/09")
        ]
        self.caps = [
            {"commissioner_code": "5P3", "financial_year": "2008/09",
             "treatment_function_code": "110", "follow_up_ratio_cap": 1.5},
        ]  # fmt: skip

    def inputs(self, con: Any) -> v.Inputs:
        return v.Inputs(
            apc=_table(con, "apc", self.apc),
            op=_table(con, "op", self.op),
            ae=_table(con, "ae", self.ae),
            patients=_table(con, "patients", self.patients),
            practices=_table(con, "practices", self.practices),
            tariff=_table(con, "tariff", self.tariff),
            market_forces_factors=_table(con, "market_forces_factors", self.mff),
            follow_up_caps=_table(con, "follow_up_caps", self.caps),
            invoice_lines=None
            if self.invoice_lines is None
            else _table(con, "invoice_lines", self.invoice_lines),
            imaging=None if self.imaging is None else _table(con, "imaging", self.imaging),
        )

    def find(
        self,
        con: Any,
        rule: str,
        settings: v.ValidationSettings = v.DEFAULT_SETTINGS,
        month: dt.date | None = None,
    ) -> pd.DataFrame:
        # As the runs read them: the columns and tables several rules share worked out once.
        inputs = v.shared_inputs(self.inputs(con))
        expr = v.find(inputs, settings, rule_ids=[rule], month=month)
        frame = con.execute(expr)
        for column in ("activity_date", "month"):
            frame[column] = pd.to_datetime(frame[column]).dt.date
        return frame.set_index("row_id").sort_index()
