"""`generate` and `write`: the synthetic data set as in-memory Arrow tables or files.

Deterministic: every random draw comes from `numpy.random.default_rng([seed, stream])`, one
stream per component, and every table is sorted by its key before writing, so the same
parameters give byte-identical files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pbc.synth import (
    areas,
    build,
    faults,
    hes,
    imaging,
    people,
    registers,
    tables,
    tariff,
    weights,
)
from pbc.synth.config import SynthConfig, financial_year_start

# Bytes per activity row on disk (CSV, measured) used to refuse writes that cannot fit.
BYTES_PER_ROW_ESTIMATE = 260
ROWS_PER_PERSON_YEAR_ESTIMATE = 2.4


def _key_rows(df: pd.DataFrame, id_col: str, prefix: str, date_col: str) -> pd.DataFrame:
    """Clean rows keep their order and get keys 0..n-1; added rows get the keys after them.
    The result is sorted by (date, key). A key is the provider's id qualified by the provider,
    "RWG:S0000000001", as a HES / SUS extract's PROVSPNO or attendance id loads."""
    new = df["_new"].to_numpy(dtype=bool)
    clean_then_added = np.r_[np.flatnonzero(~new), np.flatnonzero(new)]  # row i gets key i
    # Sorted by the key's number: the same order as its zero-padded text, without sorting text.
    key = np.arange(len(df))
    dates = df[date_col].to_numpy(dtype="float64", na_value=np.inf)[clean_then_added]
    order = np.lexsort((key, dates))  # missing dates last
    ordered = df.take(clean_then_added[order]).reset_index(drop=True)  # one take of every column
    number = pc.utf8_lpad(pc.cast(pa.array(order), pa.string()), width=10, padding="0")
    ids = pc.binary_join_element_wise(
        pa.array(ordered["provider_code"], type=pa.string()),
        pc.binary_join_element_wise(prefix, number, ""),
        ":",
    )
    ordered[id_col] = ids.to_pandas().array
    return ordered


def generate(config: SynthConfig | None = None, **kwargs: object) -> dict[str, pa.Table]:
    """Generate every dataset. Pass a `SynthConfig` or its fields as keyword arguments
    (population, seed, start, end, localities, fault_rate). Returns Arrow tables named as the
    datasets of `pbc.warehouse.datasets`, plus "faults" (the truth file)."""
    frames = generate_frames(config or SynthConfig(**kwargs))  # type: ignore[arg-type]
    return {name: tables.to_arrow(df, name) for name, df in frames.items()}


def generate_frames(config: SynthConfig) -> dict[str, pd.DataFrame]:
    seed = config.seed
    practices = people.practice_table(config, np.random.default_rng([seed, 1]))
    pop = people.generate_population(config, practices, seed)
    fy_years = sorted(
        {int(y) for y in financial_year_start(np.array([config.start_day, config.end_day]))}
    )
    fy_years = list(range(fy_years[0], fy_years[-1] + 1))
    tariff_df = tariff.tariff_table(fy_years)
    mff_df = tariff.market_forces_factor_table(fy_years)
    caps_df = tariff.follow_up_caps_table(fy_years)
    local_df = tariff.local_price_table(fy_years)

    act = build.build_activity(config, pop, practices, seed)
    acts = {k: act[k] for k in ("apc", "op", "ae")}
    build.price_activity(acts, tariff_df, mff_df)
    for df in acts.values():
        df["nhs_number"] = pop.nhs_number[df["person"].to_numpy()]
    acts["_end_day"] = config.end_day  # type: ignore[assignment]
    n_people = len(pop.nhs_number)
    out_of_area = people.nhs_numbers(np.arange(n_people, n_people + 200_000))[
        np.random.default_rng([seed, 601]).permutation(200_000)
    ]
    injected = faults.Injector(config.fault_rate, seed, tariff_df, mff_df, caps_df).run(
        acts, out_of_area
    )
    apc = _key_rows(injected["apc"], "spell_id", "S", "discharge_date")
    op = _key_rows(injected["op"], "attendance_id", "O", "attendance_date")
    ae = _key_rows(injected["ae"], "attendance_id", "A", "arrival_date")
    injected_ids: dict[tuple[str, str], set[str]] = {}
    for name, df, id_col in (
        ("apc", apc, "spell_id"),
        ("op", op, "attendance_id"),
        ("ae", ae, "attendance_id"),
    ):
        marked = df[df["_rule"].notna()]
        for rule, ids in marked.groupby("_rule")[id_col]:
            injected_ids[(str(rule), name)] = set(ids)

    imaging_df = imaging.imaging_frame(apc, op, pop, local_df, mff_df, config.start_day, seed)

    practices_df = registers.practices_frame(practices)
    patients_df = registers.patients_frame(pop, practices)
    truth = faults.truth(
        {"apc": apc, "op": op, "ae": ae},
        patients_df,
        practices_df,
        tariff_df,
        caps_df,
        injected_ids,
    )
    list_sizes = registers.list_sizes_frame(config, pop, practices)
    weights_df = weights.population_weights()
    referrals = act["referrals"]
    referrals["nhs_number"] = pop.nhs_number[referrals["person"].to_numpy()]
    rtt = act["rtt"]
    rtt["nhs_number"] = pop.nhs_number[rtt["person"].to_numpy()]
    return {
        "practices": practices_df,
        "providers": registers.providers_frame(),
        "patients": patients_df.sort_values(
            ["nhs_number", "registration_start_date"], kind="stable"
        ),
        "deaths": registers.deaths_frame(config, pop, practices, act["place_of_death"]),
        "list_sizes": list_sizes,
        "apc": apc,
        "op": op,
        "ae": ae,
        "imaging": imaging_df,
        "referrals": referrals,
        "rtt": rtt,
        "prescribing": registers.prescribing_frame(config, list_sizes, weights_df),
        "tariff": tariff_df,
        "local_prices": tariff.for_every_pct(local_df),
        "market_forces_factors": mff_df,
        "follow_up_caps": tariff.for_every_pct(caps_df),
        "population_weights": weights_df,
        "imd_lsoa": areas.imd_frame(),
        "weighted_populations": weights.weighted_populations(list_sizes, weights_df),
        "faults": truth,
        "invoice_lines": hes.invoice_frame({"apc": apc, "op": op, "ae": ae}),
    }


def estimate_bytes(config: SynthConfig) -> int:
    """A generous estimate of the output size, for the free-disk check."""
    practices = people.practice_table(config, np.random.default_rng([config.seed, 1]))
    years = (config.end_day - config.start_day + 1) / 365.25
    rows = practices.list_size.sum() * years * ROWS_PER_PERSON_YEAR_ESTIMATE
    return int(rows * BYTES_PER_ROW_ESTIMATE * 1.5) + 20_000_000


def file_name(dataset: str, fmt: str) -> str:
    """The file `write` writes for a dataset: hospital activity as HES / SUS extracts
    (`hes_apc.csv`, `hes_op.csv`, `hes_ae.csv`) and the providers' invoices (`invoices.csv`),
    as a commissioner receives them, whatever the format; every other dataset in pbc's own
    layout as `<dataset>.csv` or `<dataset>.parquet`."""
    if dataset in hes.ACTIVITY_FILES:
        return hes.ACTIVITY_FILES[dataset]
    if dataset == "invoice_lines":
        return hes.INVOICE_FILE
    return f"{dataset}.{fmt}"


def write(
    out_dir: str | Path,
    fmt: str = "csv",
    config: SynthConfig | None = None,
    **kwargs: object,
) -> dict[str, int]:
    """Generate and write one file per dataset (`file_name`: hospital activity in the HES /
    SUS layouts and the providers' charges in the SLAM invoice layout, CSV; the rest in
    pbc's own layout as `<dataset>.csv` or `<dataset>.parquet`, the truth file as
    `faults.csv` / `faults.parquet`). Returns the rows each dataset loads (spells for apc,
    whose file has a row per episode).

    Refuses (OSError) before generating when the free disk space is below the estimate."""
    if fmt not in ("csv", "parquet"):
        raise ValueError("format must be csv or parquet")
    config = config or SynthConfig(**kwargs)  # type: ignore[arg-type]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    need = estimate_bytes(config)
    free = shutil.disk_usage(out).free
    if free < need:
        raise OSError(
            f"not enough free disk in {out}: need about {need / 1e9:.1f} GB, "
            f"{free / 1e9:.1f} GB free; choose a smaller --population or another --out"
        )
    frames = generate_frames(config)
    extracts = hes.extract_files(frames, config.seed)
    counts = {}
    for name, df in frames.items():
        path = out / file_name(name, fmt)
        tmp = path.with_suffix(path.suffix + ".tmp")
        if path.name in extracts:
            pacsv.write_csv(extracts[path.name], tmp)
        elif fmt == "csv":
            pacsv.write_csv(tables.to_arrow(df, name), tmp)
        else:
            pq.write_table(tables.to_arrow(df, name), tmp, compression="zstd")
        tmp.replace(path)
        counts[name] = len(df)
    return counts
