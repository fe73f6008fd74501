"""The PCT's prescribing incentive scheme (issue 19, item 5): what a PCT analyst uploads each
year in pbc's template through the imports page (the one bounded upload path).

- `prescribing_targets`: per financial year and practice, the target on a prescribing measure
  (an indicator id of the catalogue, e.g. `prescribing-high-cost-statins`) in the measure's own
  unit (a percentage for a share of items), and the payment per registered patient the practice
  earns if it meets the target (`pbc.analytics.indicators.incentive` documents the rules).
- `good_buys`: the PCT's switch list ("Good Buy" bulletins): from one BNF presentation to
  another; the saving per item is worked from the PCT's own prescribing that year, not typed.

Both are `whole_file` (a file with any bad cell is refused whole, naming the cell's row,
column and reason; nothing is stored) and partitioned by commissioner: a PCT's upload holds
and replaces only its own PCT's rows.
"""

from __future__ import annotations

from pbc.warehouse.schema import Dataset, Field


def _f(name: str, type_: str, required: bool = False, **kw: object) -> Field:
    return Field(name, type_, required, **kw)  # type: ignore[arg-type]


_YEAR = _f(
    "year_start",
    "date",
    True,
    starts="financial_year",
    description="1 April of the scheme's financial year (2008/09 is 2008-04-01).",
)
_COMMISSIONER = _f(
    "commissioner_code",
    "string",
    True,
    check="commissioner_code",
    description="The PCT running the scheme (ODS code, e.g. 5P3).",
)

PRESCRIBING_TARGETS = Dataset(
    name="prescribing_targets",
    description="Prescribing incentive scheme targets: per financial year, practice and "
    "prescribing measure, the target value (in the measure's unit) and the payment per "
    "registered patient for meeting it.",
    key=("year_start", "gp_practice_code", "indicator_id"),
    period_field="year_start",
    partition_by_commissioner=True,
    whole_file=True,
    fields=(
        _YEAR,
        _COMMISSIONER,
        _f("gp_practice_code", "string", True, check="gp_practice_code"),
        _f(
            "indicator_id",
            "string",
            True,
            description="The prescribing measure (indicator id of pbc's catalogue, "
            "e.g. prescribing-high-cost-statins).",
        ),
        _f(
            "target_value",
            "float",
            True,
            minimum=0,
            description="The target in the measure's unit (e.g. 20 for 20% of statin items). "
            "Met at or below it for a measure whose polarity is 'decrease', at or above it "
            "for 'increase'.",
        ),
        Field(
            "payment_per_patient",
            "decimal",
            True,
            minimum=0,
            description="GBP per registered patient paid if the target is met.",
        ),
    ),
)

GOOD_BUYS = Dataset(
    name="good_buys",
    description="Prescribing switch list ('Good Buy'): per financial year and PCT, a switch "
    "from one BNF presentation to a cheaper one.",
    key=("year_start", "commissioner_code", "from_bnf_code", "to_bnf_code"),
    period_field="year_start",
    partition_by_commissioner=True,
    whole_file=True,
    fields=(
        _YEAR,
        _COMMISSIONER,
        _f(
            "from_bnf_code",
            "string",
            True,
            check="bnf_code",
            description="The BNF presentation (15 characters) to switch from.",
        ),  # fmt: skip
        _f("from_name", "string", True, description="Its name, as the bulletin prints it."),
        _f(
            "to_bnf_code",
            "string",
            True,
            check="bnf_code",
            description="The BNF presentation to switch to.",
        ),  # fmt: skip
        _f("to_name", "string", True, description="Its name, as the bulletin prints it."),
        _f("note", "string", False, description="The bulletin's advice (who not to switch)."),
    ),
)

SCHEME_DATASETS: tuple[Dataset, ...] = (PRESCRIBING_TARGETS, GOOD_BUYS)
