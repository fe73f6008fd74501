"""How a published file layout is declared: data, not code.

A `Layout` says how one published form of a file (NHSBSA's practice prescribing, NHS Digital's
registered patients, the ODS practice file, ...) maps to a pbc dataset. The transform engine
(`pbc.warehouse.layouts.transform`) reads the declaration; a new layout needs no Python unless
it needs a new kind of transformation (a new `DATE_FORMS` entry, say).

Header names are compared after `normalise_name`: trimmed, lower case, runs of spaces and
underscores read as one space, so "BNF CODE", "BNF_CODE" and " bnf  code " are the same name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# Date forms a published column may use; the engine turns each into an ISO date (YYYY-MM-DD).
#   yyyymm      201410, 2014_10, 2014-10 (first day of the month)
#   yyyymmdd    20130401
#   ddmonyyyy   01SEP2017
#   dd-mon-yy   01-Apr-17, 01-APR-2017
#   dd/mm/yyyy  01/04/2017, 1/4/2017 (a time part is dropped: 01/04/2017 00:00)
#   iso         2017-04-01 (a time part is dropped)
#   mm/yy       04/13 (first day of the month)
#   dd/mm/yy    01/04/11 (a two-digit year, 2000-2068; NHSBSA's list-size 'Month' column)
#   excel       an Excel serial day number (42826), or an ISO date from a real date cell
#   month-yyyy  APRIL-2022, April 2022, after any label: RTT-APRIL-2022, MSitAE-APRIL-2019 (NHS
#               England's period labels; first day of the month)
# A column may name several forms (a tuple): the first that reads the value wins. Every form
# also reads an ISO date (a spreadsheet's real date cell arrives as one).
DATE_FORMS: tuple[str, ...] = (
    "yyyymm",
    "mm/yy",
    "dd/mm/yy",
    "yyyymmdd",
    "ddmonyyyy",
    "dd-mon-yy",
    "dd/mm/yyyy",
    "iso",
    "excel",
    "month-yyyy",
)

PERIOD = "{period}"
"""A constant that stands for the first day of the `--period` month (a file that does not carry
its own period: the import refuses it without `--period`)."""

FINANCIAL_YEAR = "{financial_year}"
"""A constant that stands for the financial year of the `--period` month, as "2008/09" (a
yearly file such as a tariff workbook that names its year only in its title)."""


def normalise_name(name: object) -> str:
    """A header name as compared: trimmed, lower case, spaces and underscores as one space."""
    if name is None:
        return ""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s_]+", " ", text)


@dataclass(frozen=True)
class Column:
    """One pbc field read from one published column.

    - `names`: the column's header names in every year's form (any one matches). "NAME#2"
      names the second column headed NAME (a workbook repeating one sub-heading under several
      group headings); wide columns' names take the same form.
    - `position`: for a headerless file, the documented column number (1 is the first).
      `fallback_position`: another documented column read where `position`'s cell is blank
      (epraccur: the Commissioner, column 15, else the Provider/Purchaser, column 24).
    - `date`: the date form(s) of the column (see `DATE_FORMS`); the value becomes an ISO date.
    - `truncate`: "month" or "quarter": the date becomes the first day of its month or
      (calendar) quarter (a monthly snapshot's quarter, say).
    - `recode`: published value -> pbc value, compared after trimming, ignoring case; values
      not listed pass unchanged (and the dataset's own checks judge them).
    - `optional`: the column is missing from some years' files (the field is then empty).
    - `extract`: a regular expression whose first group is the value (applied before dates and
      `recode`), for a published code that carries a prefix: "IP100" -> "100" with
      `^(?:IP|AP|NP)(.+)$`. A value it does not match passes unchanged. Several columns may read
      one published column (the prefix itself can be another field: `^(IP|AP|NP)`).
    - `coalesce`: every one of `names` present in the file is read, in order, and the first
      non-empty value wins (a commissioner in CCG_RESPONSIBILITY in later years, PURCODE before).
    - `not_known`: published value -> pbc value for the specification's "not known" and null
      conventions (HES: SEX 0, ADMIMETH 99, GPPRAC V81999, STARTAGE 7001): None loads the field
      as missing, a string as that coded meaning (7001, under a day old -> age 0). Either way
      the row is noted in the layout's `not_known_field` ("SEX=0"): flagged, never rejected.
      `not_known_pattern` (a regular expression, whole value) marks more such values as missing
      (HES null dates 1800-01-01, 1801-01-01: any year before 1850).
    - `otherwise`: the value of every other non-empty published value that `recode` does not
      list (an operation code -> procedure_flag "true"; "-", no operation, recoded "false").
    - `qualify`: another field whose value prefixes this one as "OTHER:value" (an attendance
      identifier unique only within its provider becomes "RWG:123", the key invoices join on).
    - A `field` starting with "_" is read for the layout only (episode order, status), never
      stored.
    """

    field: str
    names: tuple[str, ...] = ()
    position: int | None = None
    fallback_position: int | None = None
    date: str | tuple[str, ...] | None = None
    recode: Mapping[str, str] | None = None
    optional: bool = False
    truncate: Literal["month", "quarter"] | None = None
    extract: str | None = None
    coalesce: bool = False
    not_known: Mapping[str, str | None] | None = None
    not_known_pattern: str | None = None
    otherwise: str | None = None
    qualify: str | None = None

    @property
    def date_forms(self) -> tuple[str, ...]:
        if self.date is None:
            return ()
        return (self.date,) if isinstance(self.date, str) else tuple(self.date)

    def __post_init__(self) -> None:
        for form in self.date_forms:
            if form not in DATE_FORMS:
                raise ValueError(f"column {self.field}: unknown date form {form!r}")
        if self.truncate is not None and not self.date_forms:
            raise ValueError(f"column {self.field}: truncate needs a date form")
        if self.extract is not None and re.compile(self.extract).groups < 1:
            raise ValueError(f"column {self.field}: extract needs a group: {self.extract!r}")


@dataclass(frozen=True)
class WideColumn:
    """One column of a wide form: its header names and the fields it stands for
    (e.g. "Male 0-4" -> sex M, age band 0-4); its cell becomes the `Unpivot.value_field`.
    `read`: fields this column's rows read from other columns of the same row (a tariff's
    elective price row takes the elective trim point; the non-elective row, the non-elective
    one), each by its header names. `optional`: a file may lack the column (a year column of
    a workbook that lists some years only); at least one of a layout's wide columns must be
    present. `fallback`: the header names of a column whose cell stands in, row by row, where
    this column's cell is blank or a no-value ("-"): a National Tariff workbook gives separate
    day case and ordinary elective prices for some HRGs and "-" there for the HRGs priced once,
    in the combined day case / ordinary elective column."""

    names: tuple[str, ...]
    fields: Mapping[str, str]
    read: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional: bool = False
    fallback: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unpivot:
    """Wide to long: every listed column of a row becomes one row, its cell the value.
    `no_value`: cells that mean "none here" (blank always; "-", "n/a" in a tariff with no price
    for that point of delivery): that row is dropped and counted with `no_value_reason`."""

    value_field: str
    columns: tuple[WideColumn, ...]
    no_value: tuple[str, ...] = ()
    no_value_reason: str = "no value in this column"


@dataclass(frozen=True)
class Drop:
    """Rows to drop and count, not load: where `field`'s published value (trimmed, ignoring
    case) is one of `values`, or matches `pattern` (a regular expression, from the start), or
    is present and not one of `other_than` (rows of other organisation types, say); `unless`
    keeps a row another field of which has one of the listed published values (a sex total,
    age ALL, is dropped unless its sex is ALL too: the practice's total)."""

    field: str
    reason: str
    values: tuple[str, ...] = ()
    pattern: str | None = None
    other_than: tuple[str, ...] = ()
    unless: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Spells:
    """Episodes rolled up to spells (HES / SUS admitted patient care is one row per episode;
    pbc's `apc` is one row per hospital provider spell). Episodes are grouped by provider and
    spell number (`spell_field`, the file's PROVSPNO), or, where a file has none, by provider,
    patient (`patient_fields`, the first present) and `admission_field`. Within a spell they are
    ordered by `order_fields` (text read as numbers or ISO dates), then by source row.

    The spell takes the first episode's values, except: `last_fields` from the last episode
    (discharge date and method); `any_fields` true when any episode's is ("true"/"false":
    a procedure in any episode); `first_known_fields` from the first episode that has one (the
    spell HRG SUS writes on the spell's episodes); `merged_fields`: every episode's distinct
    values joined by "; " (the "not known" notes). `length_of_stay` = (field, start, end): the
    spell's end minus start date in days. Episodes merged away are counted as dropped; a spell
    whose `required_end` field is empty is dropped with `unfinished_reason`.
    """

    spell_field: str
    patient_fields: tuple[str, ...]
    admission_field: str
    order_fields: tuple[str, ...] = ()
    last_fields: tuple[str, ...] = ()
    any_fields: tuple[str, ...] = ()
    first_known_fields: tuple[str, ...] = ()
    merged_fields: tuple[str, ...] = ()
    length_of_stay: tuple[str, str, str] | None = None
    required_end: str | None = None
    unfinished_reason: str = "spell not finished"


@dataclass(frozen=True)
class Layout:
    """One published file form and how it maps to a pbc dataset.

    - `dataset`: the pbc dataset it loads.
    - `title`, `source`, `spec`: what the file is, who publishes it, and where its column
      specification is (shown by `pbc import --layouts`, and in docs/data.md).
    - `columns`: the mapped columns. `ignored`: published columns pbc does not keep (named so
      detection recognises the whole header); any other extra column is reported, not loaded.
    - `headerless` / `width`: a file with no header row and `width` columns, read by position.
    - `first_heading`: for a headerless layout, the names a redistribution that adds a header
      row gives its first column ("Organisation Code"): a first row whose first cell is one of
      them is that header and is skipped, and the columns are still read by their documented
      positions (the header's names then name the fields in messages).
    - `constants`: fields the file implies (its organisation type, or `PERIOD`: the month
      given with --period, for a file that does not carry its own period).
    - `unpivot`: a wide form's columns, each becoming a row.
    - `drops`: rows the specification marks as totals, test or dummy items: dropped, counted.
    - `split_rows`: what a repeated key means. "quarantine" (the default): the specification
      has one row per key, so a repeat is an error: every row after the first of a key goes to
      quarantine naming the first. "sum": the specification splits one key over several rows
      (by pack size, say), so they are summed: the numeric `sum_fields` added, the other fields
      taken from the key's first row.
    - `sum_reason`: the reason counted for the rows summed away (default: split rows), e.g.
      single years of age summed into pbc's five-year bands.
    - `period_text`: what --period means for this form (the month, or the quarter's first
      month), for the refusal message.
    - `not_known_field`: the pbc field that notes which published fields carried a "not known"
      or null code (`Column.not_known`), as "NAME=value; ...".
    - `spells`: episodes rolled up to spells (`Spells`) before the key is enforced.
    - `null_text`: cell texts that mean an empty cell in this form (compared trimmed, ignoring
      case): extracts saved from SQL Server write a null as the text NULL.
    - `year_in_title`: a yearly form that names its year only in its title rows: the import is
      refused when those rows name financial years and `--period`'s is not among them
      (`pbc.warehouse.layouts.title_year`).
    - `name_values`: field -> ((pattern, value), ...): a value the file gives only in its name
      (NHS England's RTT workbooks from 2016 code the treatment function C_100, the pathway
      being in the name: Incomplete-Provider-May25-...). The first pattern found in the file's
      name (a regular expression, searched ignoring case) gives the value; it fills the field
      on the rows whose own column does not give it (the column's `extract` does not match,
      or the cell is empty). A file whose name gives none while a row needs one is refused
      with `name_hint` (`name_missing`).
    - `every_sheet`: a workbook holding this layout on several sheets is read whole, as one
      import: every sheet whose header the layout matches, in workbook order (the National
      Tariff workbook's admitted care sheet and its maternity sheet; NHS England's RTT
      workbook's Provider and IS Provider sheets). A key repeated across the sheets is
      quarantined as within one; a row is then named by its sheet and row ("Maternity!12").
    - `sheet_values`: field -> ((pattern, value), ...): a value a sheet's name gives the field
      on every row of that sheet, over the field's column and the file's name (the "Provider
      with DTA" sheets of an RTT incomplete workbook: pathway_type incomplete_dta, a subset of
      the incomplete pathways kept apart). The first pattern found in the sheet's name
      (searched ignoring case) gives the value; a sheet no pattern matches reads the field as
      usual.
    - `refusal`: a form pbc recognises but cannot load into this dataset: a file found in this
      layout is refused with this text (the mapping files before the PCNs of July 2019 have no
      PCN columns: `pcn_memberships` refuses them saying so, and where to import them instead).
    """

    name: str
    dataset: str
    title: str
    source: str
    spec: str
    columns: tuple[Column, ...]
    ignored: tuple[str, ...] = ()
    headerless: bool = False
    width: int | None = None
    first_heading: tuple[str, ...] = ()
    constants: Mapping[str, str] = field(default_factory=dict)
    unpivot: Unpivot | None = None
    drops: tuple[Drop, ...] = ()
    split_rows: Literal["quarantine", "sum"] = "quarantine"
    sum_fields: tuple[str, ...] = ()
    sum_reason: str | None = None
    period_text: str = "the month the file covers"
    not_known_field: str | None = None
    spells: Spells | None = None
    null_text: tuple[str, ...] = ()
    year_in_title: bool = False
    name_values: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    name_hint: str = ""
    every_sheet: bool = False
    sheet_values: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    refusal: str = ""

    def __post_init__(self) -> None:
        if self.headerless:
            if self.width is None or any(c.position is None for c in self.columns):
                raise ValueError(f"layout {self.name}: headerless needs width and positions")
        elif any(not c.names for c in self.columns):
            raise ValueError(f"layout {self.name}: every column needs its header names")
        if self.split_rows == "sum" and not self.sum_fields:
            raise ValueError(f"layout {self.name}: split rows summed needs sum_fields")

    @property
    def needs_period(self) -> bool:
        return PERIOD in self.constants.values() or FINANCIAL_YEAR in self.constants.values()

    def fields(self) -> tuple[str, ...]:
        """The pbc fields this layout fills (mapped, constant and unpivoted)."""
        names = [c.field for c in self.columns if not c.field.startswith("_")]
        names += list(self.constants)
        if self.not_known_field is not None:
            names.append(self.not_known_field)
        if self.unpivot is not None:
            names.append(self.unpivot.value_field)
            for w in self.unpivot.columns:
                names += [f for f in (*w.fields, *w.read) if f not in names]
        return tuple(dict.fromkeys(names))


def name_value(layout: Layout, field_name: str, source_name: str) -> str | None:
    """The value `layout.name_values` gives `field_name` from the file's name, or None."""
    for pattern, value in layout.name_values.get(field_name, ()):
        if re.search(pattern, source_name, re.IGNORECASE):
            return value
    return None


def sheet_value(layout: Layout, field_name: str, sheet_name: str) -> str | None:
    """The value `layout.sheet_values` gives `field_name` on a sheet so named, or None."""
    for pattern, value in layout.sheet_values.get(field_name, ()):
        if re.search(pattern, sheet_name, re.IGNORECASE):
            return value
    return None


def needs_name_value(column: Column, cell: str | None) -> bool:
    """Does a row whose cell of `column` is `cell` need the value the file's name gives? A
    filled cell the column's `extract` does not match (an empty cell is a blank row, or a
    missing value the dataset's checks quarantine)."""
    if cell is None or not cell.strip() or column.extract is None:
        return False
    return re.search(column.extract, cell.strip()) is None
