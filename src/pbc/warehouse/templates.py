"""pbc's templates for the periodic returns (`Dataset.whole_file` datasets): the file a PCT
analyst fills in and uploads through the imports page. A template is the dataset's own
layout: a header row naming its fields, in their declared order, then the rows. Pure: the
rows of the template and of its field guide; the imports app writes them through the one safe
writer (`pbc.exports`)."""

from __future__ import annotations

from pbc.warehouse.datasets import DATASETS
from pbc.warehouse.schema import Dataset, Field

TYPE_TEXT = {
    "string": "text",
    "int": "whole number",
    "float": "number",
    "decimal": "amount",
    "date": "date (YYYY-MM-DD)",
    "bool": "true/false",
}
GUIDE_HEADER = ("column", "kind", "required", "allowed values", "description")


def returns() -> tuple[Dataset, ...]:
    """The datasets uploaded as periodic returns in pbc's template."""
    return tuple(d for d in DATASETS.values() if d.whole_file)


def header(ds: Dataset) -> list[str]:
    return list(ds.names)


def _allowed(f: Field) -> str:
    parts = []
    if f.codes is not None:
        parts.append(", ".join(sorted(f.codes)))
    if f.minimum is not None:
        parts.append(f"at least {f.minimum:g}")
    if f.at_most is not None:
        parts.append(f"at most {f.at_most}")
    if f.starts == "quarter":
        parts.append("the first day of a quarter")
    if f.starts == "financial_year":
        parts.append("1 April")
    return "; ".join(parts)


def guide(ds: Dataset) -> list[list[str]]:
    """One row per column: its name, kind, whether required, allowed values, description."""
    return [list(GUIDE_HEADER)] + [
        [f.name, TYPE_TEXT[f.type], "yes" if f.required else "no", _allowed(f), f.description]
        for f in ds.fields
    ]
