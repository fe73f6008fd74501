"""Faults: the validation rules' exact definitions, fault injection, and the truth file.

Each rule id (`pbc.warehouse.datasets.FAULT_RULE_IDS`) has one definition below (`RULES`) and one
plain pandas implementation (`find_*`). The truth file lists every row that the definition
flags in the final data, whether the generator injected the fault (`origin = injected`: the row
was altered or added for that rule) or it arose naturally (`natural`: e.g. a patient who left
the area and whose hospital still invoiced the old PCT, an emergency readmission, a spell over
the cost threshold). Rules that compare patients use only rows with a valid NHS number.

Row keys: `spell_id` (apc) and `attendance_id` (op, ae). Rows added by injection get keys after
every clean row's, so "the later copy" of a duplicate is always the injected one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pbc.codes import is_valid_nhs_number
from pbc.periods import FinancialYear, year_end
from pbc.synth import tariff as tf
from pbc.synth.build import ELECTIVE_METHODS, EMERGENCY_METHODS
from pbc.synth.config import to_day

HIGH_COST_THRESHOLD_PENNIES = 300_000  # £3,000
READMISSION_DAYS = 30


@dataclass(frozen=True)
class Rule:
    id: str
    datasets: tuple[str, ...]
    definition: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "duplicate_spell",
            ("apc",),
            "Order a patient's spells by (admission_date, discharge_date, spell_id). A spell is "
            "flagged when an earlier spell of the same patient has the same admission date or a "
            "discharge date after this spell's admission date.",
        ),
        Rule(
            "duplicate_first_attendance",
            ("op",),
            "Attended first attendances (first_attendance 1 or 3) of the same patient, provider, "
            "treatment function and date: all but the one with the smallest attendance_id.",
        ),
        Rule(
            "not_registered_in_pct",
            ("apc", "op", "ae"),
            "A row with a valid NHS number whose patient is not registered, on the activity date "
            "(admission, attendance or arrival), with a practice of the PCT in commissioner_code "
            "(registration_start_date <= date <= registration_end_date, open end = still "
            "registered).",
        ),
        Rule(
            "invalid_nhs_number",
            ("apc", "op", "ae"),
            "nhs_number missing, or not ten digits passing modulus 11 (not applicable to a row "
            "that identifies its patient by a pseudonymised id instead: HES / SUS extracts).",
        ),
        Rule(
            "follow_up_without_first",
            ("op",),
            "An attended follow-up (first_attendance 2 or 4) with no attended first attendance "
            "for the same patient and treatment function on or before its date (any provider).",
        ),
        Rule(
            "op_procedure_as_day_case",
            ("apc",),
            "A spell charged as DC or EL whose charged HRG has an outpatient procedure (OPPROC) "
            "price in that financial year's tariff.",
        ),
        Rule(
            "zero_day_elective_as_inpatient",
            ("apc",),
            "An elective spell (admission_method 11, 12, 13) with length_of_stay 0 charged as EL "
            "instead of DC.",
        ),
        Rule(
            "unsupported_excess_bed_days",
            ("apc",),
            "charged_excess_bed_days greater than max(0, length_of_stay - trim point), the trim "
            "point of the tariff row for (financial year, point_of_delivery, hrg_code); rows "
            "whose point of delivery has no trim point allow 0.",
        ),
        Rule(
            "short_stay_not_applied",
            ("apc",),
            "A spell eligible for the short-stay emergency adjustment (point_of_delivery NELST: "
            "emergency admission method, length of stay <= short_stay_max_los_days, age on "
            "admission >= short_stay_min_age, HRG with a NELST tariff row) not charged as NELST.",
        ),
        Rule(
            "c2c_without_gp_approval",
            ("op",),
            "A first attendance referred consultant to consultant (referral_source 05), routine "
            "priority (priority_type 1), without GP approval (gp_approval not true).",
        ),
        Rule(
            "emergency_readmission_30d",
            ("apc",),
            "An emergency spell (admission_method 21-28, 2A-2D) of a patient admitted 0-30 days "
            "after the discharge of the patient's previous spell (latest discharge on or before "
            "this admission), that spell ending alive (discharge_method not 4). National "
            "exclusions: either spell maternity (admission_method 31, 32), age on admission under "
            "4, primary diagnosis of the readmission C00-D48 (neoplasms).",
        ),
        Rule(
            "over_cap_follow_up_ratio",
            ("op",),
            "Per provider, treatment function and financial year: with N attended first and F "
            "attended follow-up attendances and the cap c (follow_up_caps), the F - floor(c x N) "
            "follow-ups latest by (attendance_date, attendance_id) when F > floor(c x N).",
        ),
        Rule(
            "high_cost_activity",
            ("apc", "op", "ae"),
            "charged_price above £3,000.00 (queued for clinical review).",
        ),
    )
}

_ID_COL = {"apc": "spell_id", "op": "attendance_id", "ae": "attendance_id"}
_DATE_COL = {"apc": "admission_date", "op": "attendance_date", "ae": "arrival_date"}


_NHS_WEIGHTS = np.array([10, 9, 8, 7, 6, 5, 4, 3, 2])


def valid_nhs(series: pd.Series) -> np.ndarray:
    """`pbc.codes.is_valid_nhs_number` for a whole column, vectorised: values of exactly ten
    ASCII digits take modulus 11 on a digit matrix; every other non-empty value (spaces,
    dashes, anything odd) takes the scalar path, so the definition is the same."""
    text = _arrow_text(series.fillna("").astype(str))
    ok = np.zeros(len(text), dtype=bool)
    ten = pc.match_substring_regex(text, r"^[0-9]{10}$").to_numpy(zero_copy_only=False)
    digits = _digit_matrix(pc.filter(text, ten))
    check = 11 - digits[:, :9] @ _NHS_WEIGHTS % 11
    check[check == 11] = 0  # 10 never equals a digit: no valid number has that check
    same = (digits == digits[:, :1]).all(axis=1)
    ok[ten] = (check == digits[:, 9]) & ~same
    others = pc.filter(text, ~ten).to_pylist()
    ok[~ten] = [v != "" and is_valid_nhs_number(v) for v in others]
    return ok


def _arrow_text(series: pd.Series) -> pa.LargeStringArray:
    """A text column as one Arrow array (no copy when it is Arrow-backed in one chunk)."""
    text = pa.array(series, type=pa.large_string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _digit_matrix(tens: pa.LargeStringArray) -> np.ndarray:
    """The digits of strings of ten ASCII digits as an (n, 10) integer matrix, read from Arrow's
    buffer (the values lie end to end, ten bytes each)."""
    _, offsets, data = tens.buffers()
    if len(tens) == 0 or data is None:
        return np.zeros((0, 10), dtype=np.int64)
    first = int(np.frombuffer(offsets, dtype=np.int64)[tens.offset])
    raw = np.frombuffer(data, dtype=np.uint8)[first : first + 10 * len(tens)]
    return raw.reshape(len(tens), 10).astype(np.int64) - 48


VALID_NHS = "_nhs_ok"


def _valid(df: pd.DataFrame) -> np.ndarray:
    """`valid_nhs` of the frame's NHS numbers, read from its `VALID_NHS` column when `truth`
    worked it out already (once per table instead of once per rule)."""
    if VALID_NHS in df.columns:
        return np.asarray(df[VALID_NHS].to_numpy(), dtype=bool)
    return valid_nhs(df["nhs_number"])


# The finders below compare patients by their NHS number as a 64-bit integer (two valid NHS
# numbers are the same text exactly when they are the same number) and group by codes for
# other text columns: the same comparisons, without hashing or moving millions of strings.


def _valid_rows(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The rows with a valid NHS number, only `columns`, with `nhs` (the number as int64) and
    `row` (the row's position in `df`)."""
    ok = _valid(df)
    out = pd.DataFrame({c: df[c].to_numpy()[ok] for c in columns})
    out["nhs"] = _nhs_int(df["nhs_number"], ok)
    out["row"] = np.flatnonzero(ok)
    return out


def _nhs_int(series: pd.Series, ok: np.ndarray) -> np.ndarray:
    """The NHS numbers of the rows where `ok` (valid: ten digits) as int64."""
    text = _arrow_text(series.fillna("").astype(str))
    return np.asarray(pc.cast(pc.filter(text, ok), pa.int64()), dtype=np.int64)


def _codes(series: pd.Series) -> np.ndarray:
    """Integer codes of a text column: equal codes for equal values (missing is a value)."""
    encoded = pc.dictionary_encode(_arrow_text(series), null_encoding="encode")
    return np.asarray(encoded.indices, dtype=np.int64)


def _index_in(series: pd.Series, values: pa.Array) -> np.ndarray:
    """Each value's position in `values`, -1 when absent (missing included)."""
    found = pc.index_in(_arrow_text(series), value_set=values)
    return np.asarray(found.fill_null(-1), dtype=np.int64)


def _text_order(series: pd.Series) -> np.ndarray:
    """Each value's rank in ascending text order (row keys: a tie-break by key)."""
    ranks = pc.rank(_arrow_text(series), sort_keys="ascending", tiebreaker="first")
    return np.asarray(ranks, dtype=np.int64)


# --- the rule definitions, as plain pandas (the truth oracle) ---------------------------------


def find_duplicate_spell(apc: pd.DataFrame) -> set[str]:
    a = _valid_rows(apc, ["admission_date", "discharge_date"])
    a["key"] = _text_order(apc["spell_id"])[a["row"]]
    a = a.sort_values(["nhs", "admission_date", "discharge_date", "key"], kind="stable")
    nhs = a["nhs"].to_numpy()
    same = np.r_[False, nhs[1:] == nhs[:-1]]
    prev_max = a.groupby("nhs")["discharge_date"].cummax().shift(1).to_numpy()
    adm = a["admission_date"].to_numpy()
    prev_adm = np.r_[-(10**9), adm[:-1]]
    flag = same & ((adm == prev_adm) | (prev_max > adm))
    return set(apc["spell_id"].to_numpy()[a["row"].to_numpy()[flag]])


def find_duplicate_first_attendance(op: pd.DataFrame) -> set[str]:
    keys = ["nhs", "provider", "function", "attendance_date"]
    f = _valid_rows(op, ["attendance_date"])
    f["provider"] = _codes(op["provider_code"])[f["row"]]
    f["function"] = _codes(op["treatment_function_code"])[f["row"]]
    first = op["first_attendance"].isin(["1", "3"]).to_numpy()
    attended = op["attended_or_did_not_attend"].isin(["5", "6"]).to_numpy()
    f = f[(first & attended)[f["row"]]]
    # of each set of copies, all but the smallest attendance_id
    copies = f[f.duplicated(keys, keep=False)].copy()
    copies["attendance_id"] = op["attendance_id"].to_numpy()[copies["row"]]
    dup = copies.sort_values("attendance_id").duplicated(keys)
    return set(copies.loc[dup[dup].index, "attendance_id"])


def find_not_registered(
    df: pd.DataFrame, dataset: str, patients: pd.DataFrame, practices: pd.DataFrame
) -> set[str]:
    date_col = _DATE_COL[dataset]
    rows = _valid_rows(df, [date_col])
    pcts = pa.array(practices["pct_code"].drop_duplicates(), type=pa.large_string())
    rows["pct"] = _index_in(df["commissioner_code"], pcts)[rows["row"]]
    registered = _valid(patients)
    reg = patients.loc[
        registered, ["gp_practice_code", "registration_start_date", "registration_end_date"]
    ]
    reg["nhs"] = _nhs_int(patients["nhs_number"], registered)
    reg = reg.merge(practices[["gp_practice_code", "pct_code"]], on="gp_practice_code")
    reg["pct"] = _index_in(reg["pct_code"], pcts)
    reg = reg[["nhs", "pct", "registration_start_date", "registration_end_date"]]
    # registrations with a practice of the row's commissioner, then the dates
    m = rows.merge(reg, on=["nhs", "pct"])
    end = m["registration_end_date"].fillna(10**9)
    ok = (m["registration_start_date"] <= m[date_col]) & (m[date_col] <= end)
    covered = np.zeros(len(df), dtype=bool)
    covered[m.loc[ok, "row"]] = True
    uncovered = rows["row"].to_numpy()[~covered[rows["row"]]]
    return set(df[_ID_COL[dataset]].to_numpy()[uncovered])


def find_invalid_nhs(df: pd.DataFrame, dataset: str) -> set[str]:
    return set(df[_ID_COL[dataset]][~_valid(df)])


def find_follow_up_without_first(op: pd.DataFrame) -> set[str]:
    v = _valid_rows(op, ["attendance_date"])
    v["function"] = _codes(op["treatment_function_code"])[v["row"]]
    attended = op["attended_or_did_not_attend"].isin(["5", "6"]).to_numpy()[v["row"]]
    first = op["first_attendance"].isin(["1", "3"]).to_numpy()[v["row"]]
    follow_up = op["first_attendance"].isin(["2", "4"]).to_numpy()[v["row"]]
    firsts = (
        v[attended & first]
        .groupby(["nhs", "function"])["attendance_date"]
        .min()
        .rename("first_date")
        .reset_index()
    )
    fu = v[attended & follow_up].merge(firsts, on=["nhs", "function"], how="left")
    bad = fu["first_date"].isna() | (fu["first_date"] > fu["attendance_date"])
    return set(op["attendance_id"].to_numpy()[fu["row"][bad]])


def find_op_procedure_as_day_case(apc: pd.DataFrame, tariff: pd.DataFrame) -> set[str]:
    opproc = tariff[tariff["point_of_delivery"] == "OPPROC"][["financial_year", "hrg_code"]]
    a = apc[apc["charged_point_of_delivery"].isin(["DC", "EL"])]
    m = a.merge(
        opproc,
        left_on=["financial_year", "charged_hrg_code"],
        right_on=["financial_year", "hrg_code"],
    )
    return set(m["spell_id"])


def find_zero_day_elective(apc: pd.DataFrame) -> set[str]:
    m = (
        apc["admission_method"].isin(list(ELECTIVE_METHODS))
        & (apc["length_of_stay"] == 0)
        & (apc["charged_point_of_delivery"] == "EL")
    )
    return set(apc["spell_id"][m])


def find_unsupported_excess_bed_days(apc: pd.DataFrame, tariff: pd.DataFrame) -> set[str]:
    t = tariff[["financial_year", "point_of_delivery", "hrg_code", "trim_point_days"]].dropna(
        subset=["hrg_code"]
    )
    m = apc[
        [
            "spell_id",
            "financial_year",
            "point_of_delivery",
            "hrg_code",
            "length_of_stay",
            "charged_excess_bed_days",
        ]
    ].merge(t, on=["financial_year", "point_of_delivery", "hrg_code"], how="left")
    allowed = np.where(
        m["trim_point_days"].isna(),
        0,
        np.maximum(0, m["length_of_stay"] - m["trim_point_days"].fillna(0).astype(np.int64)),
    )
    return set(m["spell_id"][m["charged_excess_bed_days"].to_numpy() > allowed])


def find_short_stay_not_applied(apc: pd.DataFrame) -> set[str]:
    m = (apc["point_of_delivery"] == "NELST") & (apc["charged_point_of_delivery"] != "NELST")
    return set(apc["spell_id"][m])


def find_c2c_without_gp_approval(op: pd.DataFrame) -> set[str]:
    m = (
        op["first_attendance"].isin(["1", "3"])
        & (op["referral_source"] == "05")
        & (op["priority_type"] == "1")
        & (op["gp_approval"].astype(object) != True)  # noqa: E712 - null counts as not approved
    )
    return set(op["attendance_id"][m])


def find_emergency_readmission(apc: pd.DataFrame) -> set[str]:
    a = _valid_rows(apc, ["discharge_date", "admission_date"])
    a["key"] = _text_order(apc["spell_id"])[a["row"]]
    a = a.sort_values(["nhs", "discharge_date", "admission_date", "key"], kind="stable")
    # previous spell = latest discharge on or before this admission (other spells)
    rows = a["row"].to_numpy()
    out: set[str] = set()
    emerg = apc["admission_method"].isin(list(EMERGENCY_METHODS)).to_numpy()[rows]
    maternity = apc["admission_method"].isin(["31", "32"]).to_numpy()[rows]
    diagnosis = apc["primary_diagnosis_code"].fillna("")
    cancer = diagnosis.str.match(r"^(C|D[0-3]|D4[0-8])").to_numpy()[rows]
    young = apc["age_on_admission"].fillna(99).to_numpy()[rows] < 4
    nhs = a["nhs"].to_numpy()
    dis = a["discharge_date"].to_numpy()
    adm = a["admission_date"].to_numpy()
    method4 = (apc["discharge_method"] == "4").to_numpy()[rows]
    key = a["key"].to_numpy()
    spell_ids = apc["spell_id"].to_numpy()[rows]
    # per patient, search the discharge array
    starts = np.r_[0, np.flatnonzero(nhs[1:] != nhs[:-1]) + 1]
    ends = np.r_[starts[1:], len(nhs)]
    group_start = np.repeat(starts, ends - starts)
    group_end = np.repeat(ends, ends - starts)
    cand = np.flatnonzero(emerg & ~maternity & ~cancer & ~young)
    for i in cand:
        s, e = group_start[i], group_end[i]
        d = dis[s:e]
        j = np.searchsorted(d, adm[i], side="right") - 1
        # skip the spell itself (and any spell discharged on the same day after admitting)
        while j >= 0 and (
            s + j == i or adm[s + j] > adm[i] or (adm[s + j] == adm[i] and key[s + j] > key[i])
        ):
            j -= 1
        if j < 0:
            continue
        p = s + j
        if method4[p] or maternity[p]:
            continue
        if 0 <= adm[i] - dis[p] <= READMISSION_DAYS:
            out.add(spell_ids[i])
    return out


def find_over_cap(op: pd.DataFrame, caps: pd.DataFrame) -> set[str]:
    attended = op["attended_or_did_not_attend"].isin(["5", "6"]).to_numpy()
    first = op["first_attendance"].isin(["1", "3"]).to_numpy()
    keys = ["provider_code", "treatment_function_code", "financial_year"]
    cell = _group_numbers(op, keys)
    n_first = np.bincount(cell[attended & first], minlength=cell.max() + 1)
    fu = pd.DataFrame({"row": np.flatnonzero(attended & ~first)})
    fu["cell"] = cell[fu["row"]]
    fu["n_first"] = n_first[fu["cell"]]
    fu["attendance_date"] = op["attendance_date"].to_numpy()[fu["row"]]
    fu["key"] = _text_order(op["attendance_id"].iloc[fu["row"]])
    fu = fu.sort_values(["attendance_date", "key"])
    # Caps keyed by PCT (the `follow_up_caps` dataset): a follow-up is held to its
    # commissioner's cap; the generator's own table has one list for every commissioner.
    on = ["financial_year", "treatment_function_code"]
    if "commissioner_code" in caps.columns:
        on.append("commissioner_code")
    cap = _lookup(op, fu["row"].to_numpy(), caps, on, "follow_up_ratio_cap")
    allowed = np.floor(pd.Series(cap).fillna(np.inf).to_numpy() * fu["n_first"] + 1e-9)
    rank_from_end = fu.groupby("cell").cumcount(ascending=False)  # 0 = latest
    total = fu.groupby("cell")["row"].transform("size")
    excess = total - allowed
    flag = rank_from_end < excess
    return set(op["attendance_id"].to_numpy()[fu["row"][flag.to_numpy()]])


def _group_numbers(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """A number for each distinct combination of the text `columns`, for every row."""
    codes = pd.DataFrame({c: _codes(df[c]) for c in columns})
    return codes.groupby(columns).ngroup().to_numpy()


def _lookup(
    df: pd.DataFrame, rows: np.ndarray, table: pd.DataFrame, on: list[str], value: str
) -> np.ndarray:
    """`table[value]` (a number) for each of `rows` of `df` matched on the text columns `on`
    (a left merge, NaN when nothing matches; `table` has one row per key), merged once per distinct
    key instead of once per row."""
    sub = df[on].iloc[rows]
    group = _group_numbers(sub, on)
    distinct = sub.iloc[np.unique(group, return_index=True)[1]]
    matched = distinct.merge(table[[*on, value]], on=on, how="left", validate="many_to_one")
    return np.asarray(matched[value].to_numpy(dtype=np.float64)[group], dtype=np.float64)


def find_high_cost(df: pd.DataFrame, dataset: str) -> set[str]:
    return set(df[_ID_COL[dataset]][df["charged_price"] > HIGH_COST_THRESHOLD_PENNIES])


def truth(
    tables: dict[str, pd.DataFrame],
    patients: pd.DataFrame,
    practices: pd.DataFrame,
    tariff: pd.DataFrame,
    caps: pd.DataFrame,
    injected: dict[tuple[str, str], set[str]],
) -> pd.DataFrame:
    """The truth file: (rule_id, dataset, row_id, origin) for every row a rule flags."""
    apc, op, ae, patients = (
        df.assign(**{VALID_NHS: valid_nhs(df["nhs_number"])})
        for df in (tables["apc"], tables["op"], tables["ae"], patients)
    )
    found: dict[tuple[str, str], set[str]] = {
        ("duplicate_spell", "apc"): find_duplicate_spell(apc),
        ("duplicate_first_attendance", "op"): find_duplicate_first_attendance(op),
        ("follow_up_without_first", "op"): find_follow_up_without_first(op),
        ("op_procedure_as_day_case", "apc"): find_op_procedure_as_day_case(apc, tariff),
        ("zero_day_elective_as_inpatient", "apc"): find_zero_day_elective(apc),
        ("unsupported_excess_bed_days", "apc"): find_unsupported_excess_bed_days(apc, tariff),
        ("short_stay_not_applied", "apc"): find_short_stay_not_applied(apc),
        ("c2c_without_gp_approval", "op"): find_c2c_without_gp_approval(op),
        ("emergency_readmission_30d", "apc"): find_emergency_readmission(apc),
        ("over_cap_follow_up_ratio", "op"): find_over_cap(op, caps),
    }
    for name, df in (("apc", apc), ("op", op), ("ae", ae)):
        found[("not_registered_in_pct", name)] = find_not_registered(df, name, patients, practices)
        found[("invalid_nhs_number", name)] = find_invalid_nhs(df, name)
        found[("high_cost_activity", name)] = find_high_cost(df, name)
    rows = []
    for (rule, ds), ids in found.items():
        inj = injected.get((rule, ds), set())
        for rid in ids:
            rows.append((rule, ds, rid, "injected" if rid in inj else "natural"))
    out = pd.DataFrame(rows, columns=["rule_id", "dataset", "row_id", "origin"])
    return out.sort_values(["rule_id", "dataset", "row_id"], kind="stable").reset_index(drop=True)


# --- injection ---------------------------------------------------------------------------------


class Injector:
    """Alters or adds rows for each rule at `rate` of the eligible rows. Every altered row gets
    one fault only. Added rows carry `_new = True` so the caller can key them last."""

    def __init__(
        self, rate: float, seed: int, tariff: pd.DataFrame, mff: pd.DataFrame, caps: pd.DataFrame
    ):
        self.rate = rate
        self.rng = np.random.default_rng([seed, 600])
        self.tariff = tariff
        self.mff = mff
        self.caps = caps
        self.injected: dict[tuple[str, str], set[int]] = {}  # (rule, dataset) -> row positions

    def _pick(self, df: pd.DataFrame, eligible: np.ndarray, used: np.ndarray) -> np.ndarray:
        cand = np.flatnonzero(eligible & ~used)
        k = int(np.floor(len(cand) * self.rate + self.rng.random()))
        if self.rate == 0 or k == 0 or len(cand) == 0:
            return np.array([], dtype=np.int64)
        chosen = np.sort(self.rng.choice(cand, size=min(k, len(cand)), replace=False))
        used[chosen] = True
        return chosen

    def _mark(self, rule: str, ds: str, positions: np.ndarray) -> None:
        self.injected.setdefault((rule, ds), set()).update(int(p) for p in positions)

    def _reprice(self, df: pd.DataFrame, pos: np.ndarray, ebd_col: str | None = None) -> None:
        sub = df.iloc[pos]
        priced = tf.price_pennies(
            sub,
            self.tariff,
            self.mff,
            pod_col="charged_point_of_delivery",
            hrg_col="charged_hrg_code",
            ebd_col=ebd_col,
        )
        df.loc[df.index[pos], "charged_price"] = priced["price"].to_numpy()

    def run(
        self, tables: dict[str, pd.DataFrame], out_of_area_numbers: np.ndarray
    ) -> dict[str, pd.DataFrame]:
        apc, op, ae = (tables[k].copy() for k in ("apc", "op", "ae"))
        for df in (apc, op, ae):
            df["_new"] = False
        used = {k: np.zeros(len(d), dtype=bool) for k, d in (("apc", apc), ("op", op), ("ae", ae))}
        rng = self.rng

        # pricing faults on apc
        elig = (apc["point_of_delivery"] == "DC").to_numpy() & apc["admission_method"].isin(
            list(ELECTIVE_METHODS)
        ).to_numpy()
        has_el = (
            apc["hrg_code"]
            .isin(list(self.tariff.loc[self.tariff["point_of_delivery"] == "EL", "hrg_code"]))
            .to_numpy()
        )
        pos = self._pick(apc, elig & has_el, used["apc"])
        apc.loc[apc.index[pos], "charged_point_of_delivery"] = "EL"
        self._reprice(apc, pos, ebd_col="charged_excess_bed_days")
        self._mark("zero_day_elective_as_inpatient", "apc", pos)

        pos = self._pick(apc, apc["point_of_delivery"].isin(["EL", "NEL"]).to_numpy(), used["apc"])
        apc.loc[apc.index[pos], "charged_excess_bed_days"] = apc[
            "charged_excess_bed_days"
        ].to_numpy()[pos] + rng.integers(1, 5, len(pos))
        self._reprice(apc, pos, ebd_col="charged_excess_bed_days")
        self._mark("unsupported_excess_bed_days", "apc", pos)

        pos = self._pick(apc, (apc["point_of_delivery"] == "NELST").to_numpy(), used["apc"])
        apc.loc[apc.index[pos], "charged_point_of_delivery"] = "NEL"
        self._reprice(apc, pos, ebd_col="charged_excess_bed_days")
        self._mark("short_stay_not_applied", "apc", pos)

        opproc = {h.treatment_function: h.code for h in tf.OP_PROCEDURE_HRGS}
        elig = (apc["point_of_delivery"] == "DC").to_numpy() & apc["treatment_function_code"].isin(
            list(opproc)
        ).to_numpy()
        pos = self._pick(apc, elig, used["apc"])
        new_hrg = apc["treatment_function_code"].to_numpy()[pos]
        new_hrg = np.array([opproc[t] for t in new_hrg], dtype=object)
        apc.loc[apc.index[pos], "hrg_code"] = new_hrg
        apc.loc[apc.index[pos], "charged_hrg_code"] = new_hrg
        from pbc.synth.activity import DIAGNOSIS

        apc.loc[apc.index[pos], "primary_diagnosis_code"] = [DIAGNOSIS[h] for h in new_hrg]
        self._reprice(apc, pos, ebd_col="charged_excess_bed_days")
        self._mark("op_procedure_as_day_case", "apc", pos)

        # c2c without GP approval
        elig = (
            (op["referral_source"] == "05").to_numpy()
            & (op["priority_type"] == "1").to_numpy()
            & op["first_attendance"].isin(["1"]).to_numpy()
        )
        pos = self._pick(op, elig, used["op"])
        op.loc[op.index[pos], "gp_approval"] = False
        self._mark("c2c_without_gp_approval", "op", pos)

        # follow-up without first: move a follow-up to a treatment function the patient has no
        # first attendance in
        attended = op["attended_or_did_not_attend"].isin(["5", "6"]).to_numpy()
        fu = (
            attended
            & op["first_attendance"].isin(["2"]).to_numpy()
            & ~op["procedure_flag"].to_numpy()
        )
        pos = self._pick(op, fu, used["op"])
        if len(pos):
            have = set(
                zip(
                    op["nhs_number"][op["first_attendance"].isin(["1", "3"])],
                    op["treatment_function_code"][op["first_attendance"].isin(["1", "3"])],
                    strict=True,
                )
            )
            tfs = sorted(tf.OUTPATIENT_PRICES)
            keep = []
            new_tf = []
            nhs = op["nhs_number"].to_numpy()
            for p in pos:
                start = int(rng.integers(0, len(tfs)))
                for k in range(len(tfs)):
                    cand = tfs[(start + k) % len(tfs)]
                    if (nhs[p], cand) not in have:
                        keep.append(p)
                        new_tf.append(cand)
                        break
            pos = np.array(keep, dtype=np.int64)
            op.loc[op.index[pos], "treatment_function_code"] = new_tf
            op.loc[op.index[pos], "referral_id"] = None
            self._reprice(op, pos)
            self._mark("follow_up_without_first", "op", pos)

        # invalid NHS numbers and patients from outside the PCT, on every activity dataset
        ooa = iter(out_of_area_numbers)
        for name, df in (("apc", apc), ("op", op), ("ae", ae)):
            pos = self._pick(df, np.ones(len(df), dtype=bool), used[name])
            blank = rng.random(len(pos)) < 0.4
            vals = df["nhs_number"].to_numpy()[pos].astype(str)
            corrupt = np.array(
                [v[:9] + str((int(v[9]) + 1 + int(rng.integers(0, 8))) % 10) for v in vals],
                dtype=object,
            )
            df.loc[df.index[pos], "nhs_number"] = np.where(blank, "", corrupt)
            self._mark("invalid_nhs_number", name, pos)
            pos = self._pick(df, np.ones(len(df), dtype=bool), used[name])
            df.loc[df.index[pos], "nhs_number"] = [next(ooa) for _ in pos]
            df.loc[df.index[pos], "gp_practice_code"] = [
                f"E85{int(x):03d}" for x in rng.integers(0, 999, len(pos))
            ]
            self._mark("not_registered_in_pct", name, pos)

        # added rows: duplicate spells, readmissions, duplicate first attendances, over-cap
        # follow-ups
        added_apc = []
        pos = self._pick(
            apc,
            np.ones(len(apc), dtype=bool)
            & (apc["nhs_number"].map(lambda v: len(str(v)) == 10).to_numpy()),
            used["apc"],
        )
        if len(pos):
            dup = apc.iloc[pos].copy()
            shift = (dup["length_of_stay"].to_numpy() >= 2) & (rng.random(len(dup)) < 0.5)
            dup.loc[shift, "admission_date"] = dup.loc[shift, "admission_date"] + 1
            dup.loc[shift, "length_of_stay"] = dup.loc[shift, "length_of_stay"] - 1
            # the point of delivery the copy's own fields imply (a shorter stay may be short
            # stay); what the provider charged stays the original's
            from pbc.synth.build import derive_apc_pod

            dup["point_of_delivery"] = derive_apc_pod(dup.reset_index(drop=True), self.tariff)
            dup["_new"] = True
            dup["_rule"] = "duplicate_spell"
            added_apc.append(dup)
        # readmissions after emergency spells with room before the next spell
        s = apc.sort_values(["nhs_number", "admission_date"])
        nxt = s.groupby("nhs_number")["admission_date"].shift(-1).fillna(10**9).to_numpy()
        room = (nxt - s["discharge_date"].to_numpy()) > 40
        elig_idx = s.index[
            room
            & s["admission_method"].isin(list(EMERGENCY_METHODS)).to_numpy()
            & (s["discharge_method"] != "4").to_numpy()
            & (s["age_on_admission"].to_numpy() >= 4)
            & (s["discharge_date"].to_numpy() + 35 <= tables["_end_day"])
        ]
        mask = np.zeros(len(apc), dtype=bool)
        mask[apc.index.get_indexer(elig_idx)] = True
        pos = self._pick(apc, mask, used["apc"])
        if len(pos):
            re = apc.iloc[pos].copy()
            gap = rng.integers(1, 29, len(re))
            los = rng.integers(0, 4, len(re))
            re["admission_date"] = re["discharge_date"].to_numpy() + gap
            re["discharge_date"] = re["admission_date"].to_numpy() + los
            re["length_of_stay"] = los
            re["admission_method"] = "21"
            re["hrg_code"] = "DZ22Z"
            re["charged_hrg_code"] = "DZ22Z"
            re["treatment_function_code"] = "300"
            re["primary_diagnosis_code"] = "J18.9"
            re["discharge_method"] = "1"
            re["patient_classification"] = "1"
            re["age_on_admission"] = re["age_on_admission"]
            from pbc.synth.build import derive_apc_pod
            from pbc.synth.config import financial_year_start

            re["financial_year"] = [
                str(FinancialYear(int(y)))
                for y in financial_year_start(re["discharge_date"].to_numpy())
            ]
            re["point_of_delivery"] = derive_apc_pod(re.reset_index(drop=True), self.tariff)
            re["charged_point_of_delivery"] = re["point_of_delivery"]
            priced = tf.price_pennies(re, self.tariff, self.mff)
            re["charged_excess_bed_days"] = priced["excess_bed_days"].to_numpy()
            re["charged_price"] = priced["price"].to_numpy()
            re["_new"] = True
            re["_rule"] = "emergency_readmission_30d"
            added_apc.append(re)

        added_op = []
        elig = attended & op["first_attendance"].isin(["1"]).to_numpy()
        pos = self._pick(op, elig, used["op"])
        if len(pos):
            dup = op.iloc[pos].copy()
            dup["_new"] = True
            dup["_rule"] = "duplicate_first_attendance"
            added_op.append(dup)
        added_op.extend(self._over_cap(op, attended))

        for df in added_apc:
            df["_rule"] = df["_rule"]
        apc["_rule"] = None
        op["_rule"] = None
        ae["_rule"] = None
        for (rule, ds), positions in self.injected.items():
            target = {"apc": apc, "op": op, "ae": ae}[ds]
            target.loc[target.index[sorted(positions)], "_rule"] = rule
        apc = pd.concat([apc, *added_apc], ignore_index=True)
        op = pd.concat([op, *added_op], ignore_index=True)
        return {"apc": apc, "op": op, "ae": ae}

    def _over_cap(self, op: pd.DataFrame, attended: np.ndarray) -> list[pd.DataFrame]:
        """Push some provider x function x year cells over the cap with follow-ups dated the last
        day of the financial year (so they are the latest and the ones flagged)."""
        if self.rate == 0:
            return []
        keys = ["provider_code", "treatment_function_code", "financial_year"]
        rows_attended = np.flatnonzero(attended)
        v = op[keys].iloc[rows_attended]  # the cell's columns only: no copy of every column
        first = op["first_attendance"].isin(["1", "3"]).to_numpy()[rows_attended]
        cells = v.groupby(keys).size().rename("n").reset_index()
        n_first = v[first].groupby(keys).size().rename("n_first").reset_index()
        n_fu = v[~first].groupby(keys).size().rename("n_fu").reset_index()
        cells = cells.merge(n_first, on=keys, how="left").merge(n_fu, on=keys, how="left").fillna(0)
        cells = cells.merge(self.caps, on=["financial_year", "treatment_function_code"])
        cells["slack"] = (
            np.floor(cells["follow_up_ratio_cap"] * cells["n_first"] + 1e-9) - cells["n_fu"]
        )
        cells = cells[(cells["n_fu"] >= 5) & (cells["slack"] >= 0)]
        k = int(np.ceil(len(cells) * self.rate * 2))
        if k == 0 or len(cells) == 0:
            return []
        chosen = cells.iloc[
            np.sort(self.rng.choice(len(cells), size=min(k, len(cells)), replace=False))
        ]
        # each attended row's cell, numbered as the cells' keys
        grouped = v.groupby(keys)
        cell_number = {key: i for i, key in enumerate(grouped.size().index)}
        row_cell = grouped.ngroup().to_numpy()
        last_activity = int(op["attendance_date"].max())
        out = []
        for _, c in chosen.iterrows():
            last_day = to_day(year_end(c["financial_year"]))
            if last_day > last_activity:
                continue
            in_cell = row_cell == cell_number[tuple(c[keys])]
            src = rows_attended[~first & in_cell]  # the cell's follow-ups, in op's order
            n_add = int(c["slack"]) + 1 + int(self.rng.integers(0, 3))
            rows = op.iloc[src[self.rng.integers(0, len(src), n_add)]].copy()
            rows["attendance_date"] = last_day
            rows["_new"] = True
            rows["_rule"] = "over_cap_follow_up_ratio"
            out.append(rows)
        return out
