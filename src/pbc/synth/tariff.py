"""The reference tariff (synthetic, realistic magnitudes) and pricing at tariff.

Basis (docs/data.md, "Tariff"): prices are of the size of the Payment by Results national tariff
2008/09 (admitted care per HRG and point of delivery, outpatient first and follow-up attendances by
treatment function, outpatient procedures by HRG, A&E by HRG); earlier years are the 2008/09
price deflated by `YEAR_FACTOR` and rounded to the pound. HRG codes have the HRG4 shape
throughout (a simplification: HRG4 itself arrived in 2009/10).

Pricing rule (the one definition every consumer follows; `price_pennies` implements it):

    price = round_half_up((base + excess_bed_days x excess_bed_day_rate) x MFF, 0.01)

- base: the tariff row of (financial year of the activity date, point of delivery, HRG) for
  admitted care, outpatient procedures and A&E; (year, OPFA / OPFUP, treatment function) for
  outpatient attendances. The activity date is the discharge date for spells, the attendance
  or arrival date otherwise.
- excess_bed_days = max(0, length_of_stay - trim_point_days) on EL and NEL rows; 0 otherwise.
- NELST: a non-elective spell with an emergency admission method, length_of_stay <=
  short_stay_max_los_days, age on admission >= short_stay_min_age and a NELST row for its HRG is
  paid the NELST price instead (no excess bed days).
- Outpatient did-not-attends are not charged (price 0.00).
- MFF: the provider's market forces factor for the year (`market_forces_factors`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pbc.periods import FinancialYear
from pbc.synth import geography

YEAR_FACTOR_2008 = 1.0
YEAR_GROWTH = 0.035  # each year earlier is 3.5% cheaper
SHORT_STAY_MAX_LOS = 1
SHORT_STAY_MIN_AGE = 19


@dataclass(frozen=True)
class Hrg:
    code: str
    description: str
    treatment_function: str
    el: int | None = None  # elective inpatient price (GBP)
    dc: int | None = None  # day case price
    nel: int | None = None  # non-elective price
    nelst: int | None = None  # short-stay emergency price
    opproc: int | None = None  # outpatient procedure price
    trim_el: int | None = None
    trim_nel: int | None = None
    ebd: int | None = None  # excess bed day rate


# Elective HRGs (all have EL and DC prices; a zero-day elective spell is paid as a day case).
ELECTIVE_HRGS: tuple[Hrg, ...] = (
    Hrg("BZ02Z", "Phacoemulsification cataract extraction", "130", el=1050, dc=780, trim_el=4, ebd=210),
    Hrg("HB12C", "Major hip procedures, primary", "110", el=5600, dc=5200, trim_el=13, ebd=230),
    Hrg("HB21C", "Major knee procedures, primary", "110", el=5800, dc=5400, trim_el=13, ebd=230),
    Hrg("HB61C", "Arthroscopic knee procedures", "110", el=1400, dc=1100, trim_el=4, ebd=230),
    Hrg("FZ18C", "Inguinal hernia repair", "100", el=1500, dc=1100, trim_el=4, ebd=220),
    Hrg("GA10Z", "Laparoscopic cholecystectomy", "100", el=2300, dc=1900, trim_el=5, ebd=220),
    Hrg("FZ24Z", "Diagnostic colonoscopy", "301", el=700, dc=480, trim_el=3, ebd=220),
    Hrg("FZ21Z", "Upper gastrointestinal endoscopy", "301", el=700, dc=450, trim_el=3, ebd=220),
    Hrg("LB14Z", "Rigid cystoscopy", "101", el=800, dc=520, trim_el=3, ebd=220),
    Hrg("LB25C", "Transurethral prostate resection", "101", el=2300, dc=1800, trim_el=6, ebd=220),
    Hrg("CZ09Z", "Tonsillectomy", "120", el=1300, dc=1000, trim_el=3, ebd=220),
    Hrg("MA07Z", "Hysterectomy", "502", el=3100, dc=2600, trim_el=7, ebd=220),
    Hrg("MA10Z", "Hysteroscopy", "502", el=900, dc=600, trim_el=3, ebd=220),
    Hrg("EA15Z", "Coronary angiography", "320", el=1500, dc=1100, trim_el=4, ebd=240),
    Hrg("EA31Z", "Percutaneous coronary intervention", "320", el=3700, dc=3000, trim_el=5, ebd=240),
    Hrg("JC03Z", "Major skin procedures", "330", el=1400, dc=900, trim_el=4, ebd=210),
    Hrg("SB14Z", "Chemotherapy delivery", "370", el=600, dc=350, trim_el=3, ebd=230),
)  # fmt: skip

# Non-elective HRGs (medical and surgical emergencies, maternity).
EMERGENCY_HRGS: tuple[Hrg, ...] = (
    Hrg("DZ22Z", "Pneumonia", "300", nel=2100, nelst=600, trim_nel=14, ebd=210),
    Hrg("DZ21Z", "Chronic obstructive pulmonary disease", "340", nel=1900, nelst=550, trim_nel=12, ebd=210),
    Hrg("EB03Z", "Heart failure", "320", nel=2600, nelst=650, trim_nel=16, ebd=220),
    Hrg("EB10Z", "Chest pain", "300", nel=650, nelst=350, trim_nel=5, ebd=220),
    Hrg("EA36Z", "Acute myocardial infarction", "320", nel=2200, nelst=700, trim_nel=10, ebd=240),
    Hrg("AA22Z", "Stroke", "300", nel=4300, trim_nel=28, ebd=200),
    Hrg("HA11Z", "Fractured neck of femur", "110", nel=6900, trim_nel=28, ebd=230),
    Hrg("JD07Z", "Cellulitis", "300", nel=1300, nelst=450, trim_nel=9, ebd=200),
    Hrg("LA04Z", "Urinary tract infection", "300", nel=1400, nelst=450, trim_nel=10, ebd=200),
    Hrg("FZ37Z", "Abdominal pain", "100", nel=900, nelst=380, trim_nel=5, ebd=210),
    Hrg("KB02Z", "Diabetes with complications", "300", nel=1700, nelst=500, trim_nel=10, ebd=200),
    Hrg("WA18Z", "Falls and syncope", "430", nel=1200, nelst=420, trim_nel=8, ebd=200),
    Hrg("PA14Z", "Paediatric respiratory disorders", "420", nel=900, trim_nel=4, ebd=250),
    Hrg("NZ01A", "Normal delivery", "501", nel=1300, trim_nel=4, ebd=250),
    Hrg("NZ03A", "Caesarean section", "501", nel=2800, trim_nel=7, ebd=250),
    Hrg("NZ04Z", "Antenatal admission", "501", nel=500, trim_nel=3, ebd=250),
)  # fmt: skip

# Outpatient procedure HRGs: priced as OPPROC, with a day case price that applies only when
# the procedure genuinely needed admission (charging them as day cases is a fault).
OP_PROCEDURE_HRGS: tuple[Hrg, ...] = (
    Hrg("JC07Z", "Minor skin procedure", "330", dc=550, opproc=160),
    Hrg("BZ23Z", "Minor eye procedure", "130", dc=480, opproc=130),
    Hrg("LB15Z", "Flexible cystoscopy", "101", dc=520, opproc=190),
    Hrg("MA17Z", "Colposcopy and minor gynaecology procedure", "502", dc=560, opproc=170),
    Hrg("CZ14Z", "Minor ENT procedure", "120", dc=500, opproc=140),
)

AE_HRGS: tuple[tuple[str, str, int], ...] = (
    ("VB01Z", "A&E: highest-cost investigation and treatment", 190),
    ("VB03Z", "A&E: higher-cost investigation and treatment", 140),
    ("VB07Z", "A&E: standard investigation and treatment", 95),
    ("VB09Z", "A&E: lower-cost investigation and treatment", 70),
    ("VB11Z", "A&E: minor injury unit or walk-in centre", 55),
)

# Outpatient first and follow-up prices by treatment function, and the locally agreed cap on
# follow-ups per first attendance.
OUTPATIENT_PRICES: dict[str, tuple[str, int, int, float]] = {
    # tf: (name, first, follow-up, follow-up ratio cap)
    "100": ("General surgery", 165, 95, 2.2),
    "101": ("Urology", 160, 85, 3.2),
    "110": ("Trauma and orthopaedics", 150, 80, 3.0),
    "120": ("ENT", 130, 75, 2.1),
    "130": ("Ophthalmology", 120, 70, 3.8),
    "300": ("General medicine", 220, 110, 2.8),
    "301": ("Gastroenterology", 210, 105, 2.8),
    "320": ("Cardiology", 180, 95, 3.2),
    "330": ("Dermatology", 110, 65, 2.5),
    "340": ("Respiratory medicine", 200, 105, 3.3),
    "370": ("Medical oncology", 260, 120, 6.0),
    "400": ("Neurology", 230, 120, 2.7),
    "410": ("Rheumatology", 210, 105, 4.8),
    "420": ("Paediatrics", 200, 110, 2.3),
    "430": ("Geriatric medicine", 250, 130, 2.4),
    "501": ("Obstetrics", 120, 70, 4.0),
    "502": ("Gynaecology", 155, 90, 1.8),
}


# The local price list (docs/data.md, "Local prices"): flat cost-per-case prices agreed by the
# PCT, 2008/09 values (GBP), earlier years deflated as the tariff is.
# Unbundled diagnostic imaging (point of delivery IMG) by imaging HRG. Codes have the shape of
# the HRG4 diagnostic imaging sub-chapter (RA); descriptions and prices are synthetic, of the
# size of 2008/09 local prices.
IMAGING_HRGS: tuple[tuple[str, str, int], ...] = (
    ("RA01Z", "Magnetic resonance imaging scan, one area", 195),
    ("RA08Z", "Computerised tomography scan, one area", 120),
    ("RA15Z", "Dual energy X-ray absorptiometry (bone density) scan", 65),
    ("RA23Z", "Ultrasound scan", 55),
    ("RA26Z", "Plain film X-ray", 28),
)
# Non-tariff outpatient services commissioned cost per case (no national OPFA / OPFUP price for
# these treatment functions): tf -> (name, first, follow-up).
NON_TARIFF_OUTPATIENTS: dict[str, tuple[str, int, int]] = {
    "650": ("Physiotherapy", 48, 36),
    "653": ("Podiatry", 40, 30),
    "656": ("Clinical psychology", 120, 95),
}


def year_factor(start_year: int) -> float:
    return (
        float((1 - YEAR_GROWTH) ** (2008 - start_year))
        if start_year <= 2008
        else float((1 + YEAR_GROWTH) ** (start_year - 2008))
    )


def _pounds(value: int | None, factor: float) -> int | None:
    """A price in pennies: the 2008/09 price x year factor, rounded half-up to the pound."""
    if value is None:
        return None
    return int(np.floor(value * factor + 0.5)) * 100


def tariff_table(fy_start_years: list[int]) -> pd.DataFrame:
    """The `tariff` dataset (money columns in pennies, as int64)."""
    rows: list[dict[str, object]] = []
    for y in fy_start_years:
        fy = str(FinancialYear(y))
        f = year_factor(y)

        def add(
            pod: str,
            hrg: str | None,
            tf: str | None,
            desc: str,
            price: int | None,
            fy: str = fy,
            f: float = f,
            **kw: object,
        ) -> None:
            rows.append(
                {
                    "financial_year": fy,
                    "point_of_delivery": pod,
                    "hrg_code": hrg,
                    "treatment_function_code": tf,
                    "hrg_description": desc,
                    "price": _pounds(price, f),
                    "trim_point_days": kw.get("trim"),
                    "excess_bed_day_rate": _pounds(kw.get("ebd"), f),  # type: ignore[arg-type]
                    "short_stay_max_los_days": kw.get("ss_los"),
                    "short_stay_min_age": kw.get("ss_age"),
                }
            )

        for h in ELECTIVE_HRGS + EMERGENCY_HRGS + OP_PROCEDURE_HRGS:
            if h.el is not None:
                add("EL", h.code, None, h.description, h.el, trim=h.trim_el, ebd=h.ebd)
            if h.dc is not None:
                add("DC", h.code, None, h.description, h.dc)
            if h.nel is not None:
                add("NEL", h.code, None, h.description, h.nel, trim=h.trim_nel, ebd=h.ebd)
            if h.nelst is not None:
                add(
                    "NELST",
                    h.code,
                    None,
                    h.description,
                    h.nelst,
                    ss_los=SHORT_STAY_MAX_LOS,
                    ss_age=SHORT_STAY_MIN_AGE,
                )
            if h.opproc is not None:
                add("OPPROC", h.code, None, h.description, h.opproc)
        for tf, (name, first, fup, _cap) in OUTPATIENT_PRICES.items():
            add("OPFA", None, tf, f"{name}: first attendance", first)
            add("OPFUP", None, tf, f"{name}: follow-up attendance", fup)
        for code, desc, price in AE_HRGS:
            add("AE", code, None, desc, price)
    df = pd.DataFrame(rows)
    # 1 April of the year, as days since 1970-01-01 (the generator's date form).
    epoch = dt.date(1970, 1, 1)
    df.insert(
        1, "year_start", [(dt.date(int(fy[:4]), 4, 1) - epoch).days for fy in df["financial_year"]]
    )
    for c in ("trim_point_days", "short_stay_max_los_days", "short_stay_min_age"):
        df[c] = df[c].astype("Int64")
    for c in ("price", "excess_bed_day_rate"):
        df[c] = df[c].astype("Int64")
    return df


def local_price_table(fy_start_years: list[int]) -> pd.DataFrame:
    """The `local_prices` dataset (price in pennies, as int64): unbundled imaging by HRG and
    non-tariff outpatient services by treatment function, per year."""
    rows: list[dict[str, object]] = []
    for y in fy_start_years:
        fy, f = str(FinancialYear(y)), year_factor(y)
        for code, desc, price in IMAGING_HRGS:
            rows.append(
                {"financial_year": fy, "point_of_delivery": "IMG", "hrg_code": code,
                 "treatment_function_code": None, "service_description": desc,
                 "price": _pounds(price, f)}
            )  # fmt: skip
        for tfc, (name, first, fup) in NON_TARIFF_OUTPATIENTS.items():
            for pod, price, what in (("OPFA", first, "first"), ("OPFUP", fup, "follow-up")):
                rows.append(
                    {"financial_year": fy, "point_of_delivery": pod, "hrg_code": None,
                     "treatment_function_code": tfc,
                     "service_description": f"{name}: {what} attendance", "price": _pounds(price, f)}
                )  # fmt: skip
    df = pd.DataFrame(rows)
    df["price"] = df["price"].astype("Int64")
    return df


def market_forces_factor_table(fy_start_years: list[int]) -> pd.DataFrame:
    """MFF per provider and year from the geography, as units of 1/10,000 (int64)."""
    rows = []
    for y in fy_start_years:
        fy = str(FinancialYear(y))
        for p in geography.PROVIDERS:
            mff = p.mff.get(fy, p.mff[max(p.mff)])
            rows.append(
                {
                    "financial_year": fy,
                    "provider_code": p.code,
                    "market_forces_factor": int(mff.scaleb(4).to_integral_value()),
                }
            )
    return pd.DataFrame(rows)


def follow_up_caps_table(fy_start_years: list[int]) -> pd.DataFrame:
    rows = [
        {
            "financial_year": str(FinancialYear(y)),
            "treatment_function_code": tf,
            "follow_up_ratio_cap": cap,
        }
        for y in fy_start_years
        for tf, (_n, _f, _u, cap) in OUTPATIENT_PRICES.items()
    ]
    return pd.DataFrame(rows)


def for_every_pct(df: pd.DataFrame) -> pd.DataFrame:
    """One copy of a PCT-owned reference table (local prices, follow-up caps) per demo PCT,
    keyed by `commissioner_code`: every PCT agrees the same synthetic values, and each keeps
    (and replaces) its own copy."""
    copies = [df.assign(commissioner_code=pct.code) for pct in geography.PCTS]
    out = pd.concat(copies, ignore_index=True)
    return out[["commissioner_code", *df.columns]]


def apply_mff(base_pennies: np.ndarray, mff_units: np.ndarray) -> np.ndarray:
    """round_half_up(base x MFF) in pennies, exact in integers (MFF in 1/10,000 units)."""
    product = base_pennies.astype(np.int64) * mff_units.astype(np.int64)
    return (product + 5000) // 10000


def price_pennies(
    rows: pd.DataFrame,
    tariff: pd.DataFrame,
    mff: pd.DataFrame,
    *,
    pod_col: str = "point_of_delivery",
    hrg_col: str = "hrg_code",
    ebd_col: str | None = None,
) -> pd.DataFrame:
    """Price rows at tariff. `rows` needs `financial_year`, `provider_code`, the point of
    delivery and HRG columns named, `treatment_function_code`, and for admitted care
    `length_of_stay`. Returns a frame aligned with `rows`: base, excess_bed_days, mff, price
    (pennies / units), with price NA where no tariff row matches.

    `ebd_col`: use these excess bed days instead of deriving them from the trim point (to price
    what a provider charged)."""
    pod = rows[pod_col].to_numpy()
    by_tf = np.isin(pod, ["OPFA", "OPFUP"])
    key_hrg = np.where(by_tf, "", rows[hrg_col].fillna("").to_numpy())
    tfc = rows.get("treatment_function_code", None)
    key_tf = np.where(by_tf, tfc.to_numpy() if tfc is not None else "", "")
    left = pd.DataFrame(
        {
            "financial_year": rows["financial_year"].to_numpy(),
            "point_of_delivery": pod,
            "k_hrg": key_hrg,
            "k_tf": key_tf,
            "provider_code": rows["provider_code"].to_numpy(),
        }
    )
    t = tariff.assign(
        k_hrg=tariff["hrg_code"].fillna(""), k_tf=tariff["treatment_function_code"].fillna("")
    )[
        [
            "financial_year",
            "point_of_delivery",
            "k_hrg",
            "k_tf",
            "price",
            "trim_point_days",
            "excess_bed_day_rate",
        ]
    ]
    m = left.merge(t, how="left", on=["financial_year", "point_of_delivery", "k_hrg", "k_tf"])
    m = m.merge(mff, how="left", on=["financial_year", "provider_code"])
    if ebd_col is not None:
        ebd = rows[ebd_col].fillna(0).to_numpy(dtype=np.int64)
    elif "length_of_stay" in rows:
        los = rows["length_of_stay"].to_numpy(dtype=np.int64)
        trim = m["trim_point_days"].fillna(10**6).to_numpy(dtype=np.int64)
        ebd = np.maximum(0, los - trim)
    else:
        ebd = np.zeros(len(rows), dtype=np.int64)
    rate = m["excess_bed_day_rate"].fillna(0).to_numpy(dtype=np.int64)
    base = m["price"]
    missing = base.isna().to_numpy()
    base_v = base.fillna(0).to_numpy(dtype=np.int64)
    mff_v = m["market_forces_factor"].to_numpy(dtype=np.int64)
    price = apply_mff(base_v + ebd * rate, mff_v)
    out = pd.DataFrame(
        {
            "base": base_v,
            "excess_bed_days": ebd,
            "mff": mff_v,
            "price": price,
        },
        index=rows.index,
    )
    out.loc[missing, "price"] = -1
    return out
