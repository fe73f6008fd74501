"""How a warehouse dataset is declared.

Every dataset the warehouse holds is one `Dataset` made of `Field`s, declared once in
`pbc.warehouse.datasets`. The generator writes files in this shape, the importer checks rows
against it, and analytics reads columns by these names (NHS Data Dictionary names).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["string", "int", "float", "decimal", "date", "bool"]

# Money: DECIMAL(14, 2) everywhere, rounded half-up to the penny at the row.
MONEY_PRECISION = 14
MONEY_SCALE = 2


@dataclass(frozen=True)
class Field:
    """One column of a dataset.

    - `required`: a missing value sends the row to quarantine.
    - `codes`: the allowed values (code list); a value outside it sends the row to quarantine.
    - `check`: a named validity check whose failure does NOT reject the row but sets a flag column
      `<name>_valid` = false, because the row can be stored and is suspect for payment
      (e.g. an NHS number that fails modulus 11). See `pbc.warehouse.datasets.CHECKS`.
    """

    name: str
    type: FieldType
    required: bool = False
    codes: frozenset[str] | None = None
    check: str | None = None
    description: str = ""
    # DECIMAL fields only: total digits and digits after the point (money is 14, 2; a market
    # forces factor is 6, 4).
    precision: int = MONEY_PRECISION
    scale: int = MONEY_SCALE
    # DATE fields only: "quarter" when the value must be the first day of a calendar quarter
    # (1 January, April, July or October), "financial_year" when it must be 1 April; a row
    # with another date goes to quarantine.
    starts: Literal["quarter", "financial_year"] | None = None
    # Numbers only: the smallest value allowed (0 for a count); a row below it is quarantined.
    minimum: float | None = None
    # Numbers only: another field of the row this one may not exceed (children measured, at
    # most those eligible); a row above it is quarantined.
    at_most: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A warehouse dataset: its fields and how it is partitioned.

    - `period_field`: the date field whose month gives the `period` partition (YYYY-MM); None for
      reference data that is partitioned by `period_from` / financial year or not at all.
    - `partition_by_provider`: also partition by `provider_code`.
    - `partition_by_commissioner`: also partition by `commissioner_code` (the PCT the row
      belongs to). A PCT's import replaces only its own commissioners' partitions
      (`pbc.warehouse.store.replaced_partitions`), so one PCT never overwrites another's rows.
    - `partition_by`: further fields to partition by (list_sizes: `sex`, because NHS Digital
      publishes single-year-of-age counts as one file per sex, and importing one sex's file
      must replace that sex's rows only; market_forces_factors: `financial_year`, so one year's
      import replaces that year's factors only). A value names its partition directory with
      any character but letters, digits, "_" and "-" written "-" (2008/09 -> 2008-09); a value
      that cannot name one (empty, over 16 characters, other characters) is quarantined.
    - `key`: the fields that identify a row (for idempotent re-imports and stable keys back from
      the app database).
    - `whole_file`: a file with any bad cell is refused whole, naming each bad cell's row,
      column and reason, and nothing is stored (a periodic aggregate return: a partial return
      would give a wrong count, not a smaller one). Other datasets load the good rows and
      quarantine the bad ones.
    """

    name: str
    description: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    period_field: str | None = None
    partition_by_provider: bool = False
    partition_by_commissioner: bool = False
    reference: bool = False
    partition_by: tuple[str, ...] = ()
    whole_file: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def digest(self) -> str:
        """A short SHA-256 of how rows are checked and stored (fields, their types, codes and
        checks, partitioning): an import records it, so that a file is imported again after the
        declaration changed (`pbc.warehouse.store.unchanged_import`)."""
        parts = [
            self.name,
            repr((self.key, self.period_field, self.partition_by_provider)),
            repr((self.partition_by_commissioner, self.reference)),
        ]
        if self.partition_by:
            parts.append(f"partition by {', '.join(self.partition_by)}")
        for f in self.fields:
            codes = sorted(f.codes) if f.codes is not None else None
            parts.append(repr((f.name, f.type, f.required, codes, f.check, f.precision, f.scale)))
            if f.starts is not None:
                parts.append(f"{f.name} starts {f.starts}")
            if f.minimum is not None or f.at_most is not None:
                parts.append(f"{f.name} from {f.minimum!r} at most {f.at_most!r}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)
