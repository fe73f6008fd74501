"""The generated hospital activity as a commissioner receives it: HES / SUS extracts in HES
field names (`pbc.warehouse.layouts.hes`) and the providers' invoice lines in the SLAM invoice
layout (`pbc.warehouse.layouts.invoices`), so the demo loads activity by the real route.

- Admitted patient care: one row per consultant episode, with the hospital provider spell
  number (PROVSPNO). About a quarter of the spells of two nights or more move to a second
  consultant on a day of the stay: two episodes (EPIORDER 1 and 2), the first with no
  discharge (DISDATE empty, DISMETH 8, "not applicable: still in hospital"), the second with the
  spell's discharge; the spell's own fields (admission, HRG, patient) on both, the procedure
  (OPERTN_4_01) on the episode that did it (the first), "-" on the other. The layout rolls the
  episodes up to the spell the generator made, field for field.
- Outpatients and A&E: one row per attendance, identified by the provider's attendance id
  (ATTENDID, ATTENDNO).
- Sex as HES codes it (1 male, 2 female); procedure as an OPCS-4 code typical of the HRG, or
  "-" for none (the HRG is the grouper's, SUSHRG; pbc never groups).
- Two local columns a PCT joins to its outpatient extract from its referral management
  records, not HES fields: GP_APPROVAL (Y/N, the GP approved a consultant-to-consultant
  referral) and REFERRAL_ID (the GP referral that started the episode).
- Invoice lines: one per spell and attendance, as the provider charged it (point of delivery in
  words, HRG, excess bed days, MFF, price), invoiced in the month of discharge or attendance;
  did-not-attends at £0.00.

Row ids are the generator's, "PROVIDER:id": the file carries the id (PROVSPNO, ATTENDID) and
the layout qualifies it with the provider again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pbc.synth import tables

# An OPCS-4 main procedure typical of each procedural HRG (representative codes).
OPCS_OF_HRG: dict[str, str] = {
    "BZ02Z": "C71.2", "HB12C": "W37.1", "HB21C": "W40.1", "HB61C": "W85.1", "FZ18C": "T20.1",
    "GA10Z": "J18.3", "FZ24Z": "H22.9", "FZ21Z": "G45.1", "LB14Z": "M45.9", "LB25C": "M65.3",
    "CZ09Z": "F34.4", "MA07Z": "Q07.4", "MA10Z": "Q18.9", "EA15Z": "K63.1", "EA31Z": "K75.1",
    "JC03Z": "S06.1", "SB14Z": "X72.9", "JC07Z": "S06.9", "BZ23Z": "C10.9", "LB15Z": "M45.9",
    "MA17Z": "P27.2", "CZ14Z": "E03.9", "HA11Z": "W46.1", "NZ03A": "R17.9",
}  # fmt: skip
OTHER_PROCEDURE = "X62.9"  # a procedure on a spell whose HRG has no code above
NO_PROCEDURE = "-"
SECOND_EPISODE_SHARE = 0.25  # of spells of two nights or more
HES_SEX = {"M": "1", "F": "2"}

# Points of delivery as the providers' invoices word them (`layouts.invoices.POINT_OF_DELIVERY`).
POD_WORDS = {
    "EL": "Elective",
    "DC": "Day Case",
    "NEL": "Non-Elective",
    "NELST": "Non-Elective Short Stay",
    "OPFA": "OP First",
    "OPFUP": "OP Follow Up",
    "OPPROC": "OP Procedure",
    "AE": "A&E",
}

ACTIVITY_FILES = {"apc": "hes_apc.csv", "op": "hes_op.csv", "ae": "hes_ae.csv"}
INVOICE_FILE = "invoices.csv"
ID_FIELD = {"apc": "spell_id", "op": "attendance_id", "ae": "attendance_id"}
DATE_FIELD = {"apc": "discharge_date", "op": "attendance_date", "ae": "arrival_date"}


def _days(days: np.ndarray) -> pa.Array:
    """Day numbers (all present) as ISO dates, text."""
    return pa.array(days.astype(np.int32)).cast(pa.date32()).cast(pa.string())


def _text(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A contract column (`tables.to_arrow`) as text."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column if column.type == pa.string() else column.cast(pa.string())


def _local_id(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """ "RWG:S0000000001" -> "S0000000001": the id as the provider's own file carries it."""
    return pc.replace_substring_regex(_text(ids), pattern="^[^:]*:", replacement="")


def _sex(sex: pa.Array | pa.ChunkedArray) -> pa.Array:
    """M, F -> HES SEX 1, 2."""
    return pc.if_else(pc.equal(sex, "M"), "1", pc.if_else(pc.equal(sex, "F"), "2", None))


def _purcode(codes: pa.Array | pa.ChunkedArray) -> pa.Array:
    """PURCODE in its published five-character form: "5P3" -> "5P300"."""
    return pc.binary_join_element_wise(_text(codes), "00", "")


def _opcs(hrg: pd.Series, flag: pd.Series) -> np.ndarray:
    codes = hrg.map(OPCS_OF_HRG).fillna(OTHER_PROCEDURE).to_numpy()
    return np.where(flag.fillna(False).to_numpy(dtype=bool), codes, NO_PROCEDURE)


def apc_episodes(apc: pd.DataFrame, seed: int) -> pa.Table:
    """Spells (the contract's `apc` frame) as HES consultant episodes, each spell's episodes
    together in the frame's order."""
    rng = np.random.default_rng([seed, 700])
    n = len(apc)
    los = apc["length_of_stay"].to_numpy(dtype=np.int64)
    admitted = apc["admission_date"].to_numpy(dtype=np.int64)
    discharged = apc["discharge_date"].to_numpy(dtype=np.int64)
    split = (los >= 2) & (rng.random(n) < SECOND_EPISODE_SHARE)
    change = admitted + 1 + (rng.random(n) * np.maximum(los - 1, 1)).astype(np.int64)
    spell = np.concatenate([np.arange(n), np.flatnonzero(split)])
    order = np.concatenate([np.ones(n, np.int64), np.full(int(split.sum()), 2)])
    ranked = np.lexsort((order, spell))
    spell, order = spell[ranked], order[ranked]
    first = order == 1
    last = ~first | ~split[spell]
    start = np.where(first, admitted[spell], change[spell])
    end = np.where(last, discharged[spell], change[spell])
    procedure = np.where(first, _opcs(apc["hrg_code"], apc["procedure_flag"])[spell], NO_PROCEDURE)

    ep = tables.to_arrow(apc, "apc").take(pa.array(spell))
    is_last = pa.array(last)
    columns = {
        "PROVSPNO": _local_id(ep["spell_id"]),
        "EPIORDER": pa.array(np.where(first, "01", "02")),
        "EPISTAT": pa.array(np.full(len(spell), "3")),  # finished
        "EPISTART": _days(start),
        "EPIEND": _days(end),
        "NEWNHSNO": _text(ep["nhs_number"]),
        "SEX": _sex(ep["sex"]),
        "STARTAGE": _text(ep["age_on_admission"]),
        "GPPRAC": _text(ep["gp_practice_code"]),
        "PROCODE3": _text(ep["provider_code"]),
        "PURCODE": _purcode(ep["commissioner_code"]),
        "ADMIDATE": _text(ep["admission_date"]),
        "ADMIMETH": _text(ep["admission_method"]),
        "CLASSPAT": _text(ep["patient_classification"]),
        "TRETSPEF": _text(ep["treatment_function_code"]),
        "DIAG_4_01": _text(ep["primary_diagnosis_code"]),
        "OPERTN_4_01": pa.array(procedure, pa.string()),
        # the discharge on the last episode; "not applicable: still in hospital" before it
        "DISDATE": pc.if_else(is_last, _text(ep["discharge_date"]), None),
        "DISMETH": pc.if_else(is_last, _text(ep["discharge_method"]), "8"),
        "SPELDUR": pc.if_else(is_last, _text(ep["length_of_stay"]), None),
        "SUSHRG": _text(ep["hrg_code"]),
    }
    return pa.table(columns)


def op_attendances(op: pd.DataFrame) -> pa.Table:
    t = tables.to_arrow(op, "op")
    columns = {
        "ATTENDID": _local_id(t["attendance_id"]),
        "NEWNHSNO": _text(t["nhs_number"]),
        "SEX": _sex(t["sex"]),
        "APPTAGE": _text(t["age_at_attendance"]),
        "GPPRAC": _text(t["gp_practice_code"]),
        "PROCODE3": _text(t["provider_code"]),
        "PURCODE": _purcode(t["commissioner_code"]),
        "APPTDATE": _text(t["attendance_date"]),
        "FIRSTATT": _text(t["first_attendance"]),
        "ATTENDED": _text(t["attended_or_did_not_attend"]),
        "TRETSPEF": _text(t["treatment_function_code"]),
        "REFSOURC": _text(t["referral_source"]),
        "PRIORITY": _text(t["priority_type"]),
        "OPERTN_4_01": pa.array(_opcs(op["hrg_code"], op["procedure_flag"]), pa.string()),
        "SUSHRG": _text(t["hrg_code"]),
        "GP_APPROVAL": pc.if_else(t["gp_approval"], "Y", "N"),
        "REFERRAL_ID": _text(t["referral_id"]),
    }
    return pa.table(columns)


def ae_attendances(ae: pd.DataFrame) -> pa.Table:
    t = tables.to_arrow(ae, "ae")
    columns = {
        "ATTENDNO": _local_id(t["attendance_id"]),
        "NEWNHSNO": _text(t["nhs_number"]),
        "SEX": _sex(t["sex"]),
        "ARRIVALAGE": _text(t["age_at_attendance"]),
        "GPPRAC": _text(t["gp_practice_code"]),
        "PROCODE3": _text(t["provider_code"]),
        "PURCODE": _purcode(t["commissioner_code"]),
        "ARRIVALDATE": _text(t["arrival_date"]),
        "AEDEPTTYPE": _text(t["ae_department_type"]),
        "AEATTENDCAT": _text(t["ae_attendance_category"]),
        "AEATTENDDISP": _text(t["ae_attendance_disposal"]),
        "SUSHRG": _text(t["hrg_code"]),
    }
    return pa.table(columns)


def invoice_frame(tables_: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The `invoice_lines` dataset (internal units: day numbers, pennies): one line per spell
    and attendance, as the provider charged it, invoiced in its month of discharge or
    attendance."""
    parts = []
    for name in ("apc", "op", "ae"):
        # text columns stay Arrow-backed (`.array`): no round trip through Python strings
        df = tables_[name]
        day = df[DATE_FIELD[name]].to_numpy(dtype=np.int64)
        tf = df.get("treatment_function_code")
        ids = _local_id(pa.array(df[ID_FIELD[name]]))
        parts.append(
            pd.DataFrame(
                {
                    "provider_code": df["provider_code"].array,
                    "commissioner_code": df["commissioner_code"].array,
                    "invoice_month": _month_start(day),
                    "activity_id": ids.to_pandas().array,
                    "point_of_delivery": df["charged_point_of_delivery"].array,
                    "hrg_code": df["charged_hrg_code"].array,
                    "treatment_function_code": None if tf is None else tf.array,
                    "activity_date": day,
                    "excess_bed_days": df["charged_excess_bed_days"].to_numpy(),
                    "market_forces_factor": df["market_forces_factor"].to_numpy(),
                    "price": df["charged_price"].to_numpy(),
                }
            )
        )
    lines = pd.concat(parts, ignore_index=True)
    return tables.sort_rows(lines, ["activity_date", "provider_code", "activity_id"])


def _month_start(days: np.ndarray) -> np.ndarray:
    d = days.astype("datetime64[D]")
    return (d.astype("datetime64[M]").astype("datetime64[D]") - np.datetime64(0, "D")).astype(
        np.int64
    )


def slam_invoice(lines: pd.DataFrame) -> pa.Table:
    """Invoice lines (`invoice_frame`) as a provider's SLAM export words them: point of
    delivery in words, money and MFF as decimals ("657.80", "1.2204")."""
    t = tables.to_arrow(lines, "invoice_lines")
    codes = pa.array(list(POD_WORDS))
    words = pa.array(list(POD_WORDS.values()))
    columns = {
        "Provider Code": _text(t["provider_code"]),
        "Commissioner Code": _text(t["commissioner_code"]),
        "Invoice Month": _text(t["invoice_month"]),
        "Activity ID": _text(t["activity_id"]),
        "Point of Delivery": words.take(pc.index_in(t["point_of_delivery"], codes)),
        "HRG": _text(t["hrg_code"]),
        "Treatment Function Code": _text(t["treatment_function_code"]),
        "Activity Date": _text(t["activity_date"]),
        "Excess Bed Days": _text(t["excess_bed_days"]),
        "MFF": _text(t["market_forces_factor"]),
        "Price": _text(t["price"]),
    }
    return pa.table(columns)


def extract_files(tables: dict[str, pd.DataFrame], seed: int) -> dict[str, pa.Table]:
    """File name -> table: the HES extracts of the activity frames and their invoice lines
    (`invoice_frame`, in `tables` as "invoice_lines")."""
    return {
        ACTIVITY_FILES["apc"]: apc_episodes(tables["apc"], seed),
        ACTIVITY_FILES["op"]: op_attendances(tables["op"]),
        ACTIVITY_FILES["ae"]: ae_attendances(tables["ae"]),
        INVOICE_FILE: slam_invoice(tables["invoice_lines"]),
    }
