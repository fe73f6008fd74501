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

from pbc.synth.people import NO_DAY

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


def _iso(days: pd.Series) -> pa.Array:
    """Day numbers as ISO dates (text); missing days empty."""
    v = pd.to_numeric(days, errors="coerce")
    valid = v.notna().to_numpy() & (v.fillna(NO_DAY).to_numpy() < NO_DAY // 2)
    d = pa.array(np.where(valid, v.fillna(0).to_numpy(dtype=np.int64), 0).astype(np.int32))
    text = d.cast(pa.date32()).cast(pa.string())
    return pa.array(np.where(valid, text.to_numpy(zero_copy_only=False), None), pa.string())


def _text(values: object) -> pa.Array:
    """A column as text, missing values (None, NaN, NA) empty."""
    arr = pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return arr


def _local_id(ids: pd.Series) -> np.ndarray:
    """ "RWG:S0000000001" -> "S0000000001": the id as the provider's own file carries it."""
    return ids.str.split(":", n=1).str[1].to_numpy()


def _opcs(hrg: pd.Series, flag: pd.Series) -> np.ndarray:
    codes = hrg.map(OPCS_OF_HRG).fillna(OTHER_PROCEDURE).to_numpy()
    return np.where(flag.fillna(False).to_numpy(dtype=bool), codes, NO_PROCEDURE)


def _commissioner(codes: pd.Series) -> np.ndarray:
    """PURCODE in its published five-character form: "5P3" -> "5P300"."""
    return (codes.astype(str) + "00").to_numpy()


def apc_episodes(apc: pd.DataFrame, seed: int) -> pa.Table:
    """Spells (the contract's `apc` frame) as HES consultant episodes."""
    rng = np.random.default_rng([seed, 700])
    los = apc["length_of_stay"].to_numpy(dtype=np.int64)
    split = (los >= 2) & (rng.random(len(apc)) < SECOND_EPISODE_SHARE)
    change = (
        apc["admission_date"].to_numpy(dtype=np.int64)
        + 1
        + (rng.random(len(apc)) * np.maximum(los - 1, 1)).astype(np.int64)
    )
    first = apc.assign(
        _order=1,
        _start=apc["admission_date"],
        _end=np.where(split, change, apc["discharge_date"].to_numpy()),
        _last=~split,
        _proc=_opcs(apc["hrg_code"], apc["procedure_flag"]),
    )
    second = apc[split].assign(
        _order=2,
        _start=change[split],
        _end=apc["discharge_date"].to_numpy()[split],
        _last=True,
        _proc=NO_PROCEDURE,
    )
    ep = pd.concat([first, second], ignore_index=True)
    ep = ep.sort_values(["discharge_date", "spell_id", "_order"], kind="stable")
    last = ep["_last"].to_numpy()
    discharge = ep["discharge_date"].where(last)
    columns = {
        "PROVSPNO": _local_id(ep["spell_id"]),
        "EPIORDER": ep["_order"].astype(str).str.zfill(2).to_numpy(),
        "EPISTAT": np.full(len(ep), "3"),  # finished
        "EPISTART": _iso(ep["_start"]),
        "EPIEND": _iso(ep["_end"]),
        "NEWNHSNO": ep["nhs_number"].to_numpy(),
        "SEX": ep["sex"].map(HES_SEX).to_numpy(),
        "STARTAGE": ep["age_on_admission"].to_numpy(),
        "GPPRAC": ep["gp_practice_code"].to_numpy(),
        "PROCODE3": ep["provider_code"].to_numpy(),
        "PURCODE": _commissioner(ep["commissioner_code"]),
        "ADMIDATE": _iso(ep["admission_date"]),
        "ADMIMETH": ep["admission_method"].to_numpy(),
        "CLASSPAT": ep["patient_classification"].to_numpy(),
        "TRETSPEF": ep["treatment_function_code"].to_numpy(),
        "DIAG_4_01": ep["primary_diagnosis_code"].to_numpy(),
        "OPERTN_4_01": ep["_proc"].to_numpy(),
        "DISDATE": _iso(discharge),
        "DISMETH": np.where(last, ep["discharge_method"].to_numpy(), "8"),
        "SPELDUR": ep["length_of_stay"].where(last).astype("Int64").to_numpy(),
        "SUSHRG": ep["hrg_code"].to_numpy(),
    }
    return pa.table({k: v if isinstance(v, pa.Array) else _text(v) for k, v in columns.items()})


def op_attendances(op: pd.DataFrame) -> pa.Table:
    approval = op["gp_approval"].map({True: "Y", False: "N"})
    columns = {
        "ATTENDID": _local_id(op["attendance_id"]),
        "NEWNHSNO": op["nhs_number"].to_numpy(),
        "SEX": op["sex"].map(HES_SEX).to_numpy(),
        "APPTAGE": op["age_at_attendance"].to_numpy(),
        "GPPRAC": op["gp_practice_code"].to_numpy(),
        "PROCODE3": op["provider_code"].to_numpy(),
        "PURCODE": _commissioner(op["commissioner_code"]),
        "APPTDATE": _iso(op["attendance_date"]),
        "FIRSTATT": op["first_attendance"].to_numpy(),
        "ATTENDED": op["attended_or_did_not_attend"].to_numpy(),
        "TRETSPEF": op["treatment_function_code"].to_numpy(),
        "REFSOURC": op["referral_source"].to_numpy(),
        "PRIORITY": op["priority_type"].to_numpy(),
        "OPERTN_4_01": _opcs(op["hrg_code"], op["procedure_flag"]),
        "SUSHRG": op["hrg_code"].to_numpy(),
        "GP_APPROVAL": approval.to_numpy(),
        "REFERRAL_ID": op["referral_id"].to_numpy(),
    }
    return pa.table({k: v if isinstance(v, pa.Array) else _text(v) for k, v in columns.items()})


def ae_attendances(ae: pd.DataFrame) -> pa.Table:
    columns = {
        "ATTENDNO": _local_id(ae["attendance_id"]),
        "NEWNHSNO": ae["nhs_number"].to_numpy(),
        "SEX": ae["sex"].map(HES_SEX).to_numpy(),
        "ARRIVALAGE": ae["age_at_attendance"].to_numpy(),
        "GPPRAC": ae["gp_practice_code"].to_numpy(),
        "PROCODE3": ae["provider_code"].to_numpy(),
        "PURCODE": _commissioner(ae["commissioner_code"]),
        "ARRIVALDATE": _iso(ae["arrival_date"]),
        "AEDEPTTYPE": ae["ae_department_type"].to_numpy(),
        "AEATTENDCAT": ae["ae_attendance_category"].to_numpy(),
        "AEATTENDDISP": ae["ae_attendance_disposal"].to_numpy(),
        "SUSHRG": ae["hrg_code"].to_numpy(),
    }
    return pa.table({k: v if isinstance(v, pa.Array) else _text(v) for k, v in columns.items()})


def _money(pennies: pd.Series) -> np.ndarray:
    """Integer pennies as text: -1234 -> "-12.34"."""
    p = pennies.to_numpy(dtype=np.int64)
    a = np.abs(p)
    pounds = np.char.add(np.where(p < 0, "-", ""), (a // 100).astype(str))
    return np.char.add(np.char.add(pounds, "."), np.char.zfill((a % 100).astype(str), 2))


def _factor(units: pd.Series) -> np.ndarray:
    """A market forces factor in 1/10,000 as text: 10234 -> "1.0234"."""
    u = units.to_numpy(dtype=np.int64)
    whole = np.char.add((u // 10_000).astype(str), ".")
    return np.char.add(whole, np.char.zfill((u % 10_000).astype(str), 4))


def invoice_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The `invoice_lines` dataset (internal units: day numbers, pennies): one line per spell
    and attendance, as the provider charged it, invoiced in its month of discharge or
    attendance."""
    parts = []
    for name in ("apc", "op", "ae"):
        df = tables[name]
        day = df[DATE_FIELD[name]].to_numpy(dtype=np.int64)
        tf = df.get("treatment_function_code")
        parts.append(
            pd.DataFrame(
                {
                    "provider_code": df["provider_code"].to_numpy(),
                    "commissioner_code": df["commissioner_code"].to_numpy(),
                    "invoice_month": _month_start(day),
                    "activity_id": _local_id(df[ID_FIELD[name]]),
                    "point_of_delivery": df["charged_point_of_delivery"].to_numpy(),
                    "hrg_code": df["charged_hrg_code"].to_numpy(),
                    "treatment_function_code": None if tf is None else tf.to_numpy(),
                    "activity_date": day,
                    "excess_bed_days": df["charged_excess_bed_days"].to_numpy(),
                    "market_forces_factor": df["market_forces_factor"].to_numpy(),
                    "price": df["charged_price"].to_numpy(),
                }
            )
        )
    lines = pd.concat(parts, ignore_index=True)
    return lines.sort_values(
        ["activity_date", "provider_code", "activity_id"], kind="stable"
    ).reset_index(drop=True)


def _month_start(days: np.ndarray) -> np.ndarray:
    d = days.astype("datetime64[D]")
    return (d.astype("datetime64[M]").astype("datetime64[D]") - np.datetime64(0, "D")).astype(
        np.int64
    )


def slam_invoice(lines: pd.DataFrame) -> pa.Table:
    """Invoice lines (`invoice_frame`) as a provider's SLAM export words them."""
    columns = {
        "Provider Code": lines["provider_code"],
        "Commissioner Code": lines["commissioner_code"],
        "Invoice Month": _iso(lines["invoice_month"]),
        "Activity ID": lines["activity_id"],
        "Point of Delivery": lines["point_of_delivery"].map(POD_WORDS),
        "HRG": lines["hrg_code"],
        "Treatment Function Code": lines["treatment_function_code"],
        "Activity Date": _iso(lines["activity_date"]),
        "Excess Bed Days": lines["excess_bed_days"],
        "MFF": _factor(lines["market_forces_factor"]),
        "Price": _money(lines["price"]),
    }
    return pa.table({k: v if isinstance(v, pa.Array) else _text(v) for k, v in columns.items()})


def extract_files(tables: dict[str, pd.DataFrame], seed: int) -> dict[str, pa.Table]:
    """File name -> table: the HES extracts of the activity frames and their invoice lines
    (`invoice_frame`, in `tables` as "invoice_lines")."""
    return {
        ACTIVITY_FILES["apc"]: apc_episodes(tables["apc"], seed),
        ACTIVITY_FILES["op"]: op_attendances(tables["op"]),
        ACTIVITY_FILES["ae"]: ae_attendances(tables["ae"]),
        INVOICE_FILE: slam_invoice(tables["invoice_lines"]),
    }
