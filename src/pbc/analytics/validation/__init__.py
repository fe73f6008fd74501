"""Validation of hospital charges (issue 7): engine-portable rules over the warehouse activity.

- `RULES` (`rules`): id, title, description, datasets, money at stake, finder;
- `ValidationSettings` (`settings`): the dated settings (when each rule is in force, the
  high-cost threshold, the readmission window);
- `find(inputs, settings, month=...)` (`run`): every finding, one row per (rule, activity row);
- `score(con, inputs, truth)` (`scoring`): precision and recall against the truth file.

Pure Ibis: no Django, no engine-specific calls.
"""

from pbc.analytics.validation.common import (
    FINDING_SCHEMA,
    Inputs,
    valid_nhs_number,
    with_nhs_check,
)
from pbc.analytics.validation.rules import RULES, Rule
from pbc.analytics.validation.run import (
    INPUT_DATASETS,
    WAREHOUSE_DATASETS,
    cached_inputs,
    find,
    shared_inputs,
    warehouse_inputs,
)
from pbc.analytics.validation.scoring import RuleScore, score, table_text
from pbc.analytics.validation.settings import (
    DEFAULT_SETTINGS,
    READMISSION_NON_PAYMENT_START,
    Period,
    ValidationSettings,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "FINDING_SCHEMA",
    "INPUT_DATASETS",
    "WAREHOUSE_DATASETS",
    "READMISSION_NON_PAYMENT_START",
    "RULES",
    "Inputs",
    "Period",
    "Rule",
    "RuleScore",
    "ValidationSettings",
    "cached_inputs",
    "find",
    "score",
    "shared_inputs",
    "table_text",
    "valid_nhs_number",
    "warehouse_inputs",
    "with_nhs_check",
]
