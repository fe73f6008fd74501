"""Turn internal frames into Arrow tables of exactly the contract's shape
(`pbc.warehouse.datasets`): column order, names and types.

Internal conventions: dates are day numbers (nullable Int64: NA = missing), DECIMAL columns are
integers in units of 10^-scale (pennies for money, 1/10,000 for a market forces factor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pbc.synth.people import NO_DAY
from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.schema import Field


def _decimal(units: np.ndarray, valid: np.ndarray, field: Field) -> pa.Array:
    v = units.astype(np.int64)
    buf = np.empty(len(v) * 2, dtype=np.int64)
    buf[0::2] = v
    buf[1::2] = np.where(v < 0, -1, 0)
    arr = pa.Array.from_buffers(
        pa.decimal128(field.precision, field.scale), len(v), [None, pa.py_buffer(buf)]
    )
    if not valid.all():
        arr = pc.if_else(pa.array(valid), arr, pa.scalar(None, arr.type))
    return arr


def sort_rows(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """`df` stably sorted by the columns `by`, ascending, missing values last (as pandas'
    `sort_values(by, kind="stable")`): the permutation worked out by Arrow's stable sort of the
    key columns alone and applied once (pandas sorts Arrow-backed text slowly)."""
    keys = pa.table({c: pa.array(df[c], from_pandas=True) for c in by})
    order = pc.sort_indices(keys, sort_keys=[(c, "ascending", "at_end") for c in by])
    return df.take(np.asarray(order)).reset_index(drop=True)


def arrow_type(field: Field) -> pa.DataType:
    return {
        "string": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "date": pa.date32(),
        "bool": pa.bool_(),
    }.get(field.type, pa.decimal128(field.precision, field.scale))


def _column(series: pd.Series, field: Field) -> pa.Array:
    if field.type == "date":
        v = pd.to_numeric(series, errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        valid = series.notna().to_numpy() & (v < NO_DAY // 2)
        arr = pa.array(np.where(valid, v, 0).astype(np.int32)).cast(pa.date32())
        return pc.if_else(pa.array(valid), arr, pa.scalar(None, pa.date32()))
    if field.type == "decimal":
        valid = series.notna().to_numpy()
        units = series.fillna(0).to_numpy(dtype=np.int64)
        return _decimal(units, valid, field)
    if field.type == "int":
        return pa.array(series.astype("Int64"), type=pa.int64(), from_pandas=True)
    if field.type == "float":
        return pa.array(series.astype(float), type=pa.float64(), from_pandas=True)
    if field.type == "bool":
        values = series.astype(object).where(series.notna(), None).tolist()
        return pa.array(values, type=pa.bool_())
    arr = _strings(series)
    if field.name == "nhs_number":
        return arr
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)  # "" is missing


def _strings(series: pd.Series) -> pa.Array:
    """The column as one Arrow string array, missing values (None, NaN, NA) as nulls."""
    arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return arr


def to_arrow(df: pd.DataFrame, dataset_name: str) -> pa.Table:
    """The frame as the named dataset's Arrow table (extra columns dropped)."""
    ds = DATASETS[dataset_name]
    missing = [f.name for f in ds.fields if f.name not in df.columns]
    if missing:
        raise KeyError(f"{dataset_name}: frame lacks {missing}")
    arrays = [_column(df[f.name], f) for f in ds.fields]
    return pa.Table.from_arrays(arrays, schema=schema(dataset_name))


def schema(dataset_name: str) -> pa.Schema:
    ds = DATASETS[dataset_name]
    return pa.schema([pa.field(f.name, arrow_type(f), nullable=not f.required) for f in ds.fields])
