"""The catalogue of validation rules: id, title, plain-English description, datasets, what the
money at stake is, and the function that finds the rows.

Ids are `pbc.warehouse.datasets.FAULT_RULE_IDS`, whose exact definitions (the generator's truth
oracle) are `pbc.synth.faults.RULES`, and the invoice reconciliation and HRG version rules
(`invoice_rules`, `hrg_rules`), which the generator does not inject. When each rule is in force is a dated setting
(`settings.ValidationSettings.in_force`), not part of the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis.expr.types as ir

from pbc.analytics.validation import (
    charging_rules,
    contract_rules,
    hrg_rules,
    invoice_rules,
    patient_rules,
)
from pbc.analytics.validation.common import Inputs
from pbc.analytics.validation.settings import ValidationSettings
from pbc.warehouse.datasets import FAULT_RULE_IDS

Finder = Callable[[Inputs, ValidationSettings], list[ir.Table]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str
    datasets: tuple[str, ...]
    money_at_stake: str
    find: Finder


_WHOLE = "the whole charge"
_OVER = "the charge above the tariff price"

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "duplicate_spell",
            "Duplicate or overlapping spell",
            "The patient already has a spell that starts the same day or has not yet ended "
            "when this one starts: the same stay charged twice.",
            ("apc",),
            _WHOLE,
            patient_rules.duplicate_spell,
        ),
        Rule(
            "duplicate_first_attendance",
            "Duplicate first outpatient attendance",
            "A second first attendance for the same patient, provider, specialty and day.",
            ("op",),
            _WHOLE,
            patient_rules.duplicate_first_attendance,
        ),
        Rule(
            "not_registered_in_pct",
            "Patient not ours (responsible commissioner)",
            "On the day of the activity the patient was not registered with a practice of the "
            "PCT that was invoiced: another commissioner should pay.",
            ("apc", "op", "ae"),
            _WHOLE,
            patient_rules.not_registered_in_pct,
        ),
        Rule(
            "invalid_nhs_number",
            "Missing or invalid NHS number",
            "The NHS number is missing or fails the modulus 11 check, so the patient cannot be "
            "confirmed as ours.",
            ("apc", "op", "ae"),
            _WHOLE,
            patient_rules.invalid_nhs_number,
        ),
        Rule(
            "follow_up_without_first",
            "Follow-up with no first attendance",
            "An outpatient follow-up with no first attendance for the same patient and "
            "specialty on or before it.",
            ("op",),
            _WHOLE,
            patient_rules.follow_up_without_first,
        ),
        Rule(
            "op_procedure_as_day_case",
            "Outpatient procedure charged as an admission",
            "Charged as a day case or elective spell although the procedure has an outpatient "
            "procedure price: it should be charged as an outpatient procedure.",
            ("apc",),
            "the charge above the outpatient procedure price",
            charging_rules.op_procedure_as_day_case,
        ),
        Rule(
            "zero_day_elective_as_inpatient",
            "Zero-day elective charged as inpatient",
            "A planned admission with no overnight stay charged as an elective inpatient "
            "instead of a day case.",
            ("apc",),
            _OVER,
            charging_rules.zero_day_elective_as_inpatient,
        ),
        Rule(
            "unsupported_excess_bed_days",
            "Excess bed days not supported",
            "More excess bed days charged than the length of stay beyond the trim point allows.",
            ("apc",),
            _OVER,
            charging_rules.unsupported_excess_bed_days,
        ),
        Rule(
            "short_stay_not_applied",
            "Short-stay emergency adjustment not applied",
            "An adult emergency stay of at most the short-stay length charged at the full "
            "non-elective price instead of the reduced short-stay price.",
            ("apc",),
            _OVER,
            charging_rules.short_stay_not_applied,
        ),
        Rule(
            "c2c_without_gp_approval",
            "Consultant-to-consultant referral without GP approval",
            "A routine first attendance referred on by a consultant without the GP approval "
            "the PCT's protocol requires.",
            ("op",),
            _WHOLE,
            contract_rules.c2c_without_gp_approval,
        ),
        Rule(
            "emergency_readmission_30d",
            "Emergency readmission within 30 days",
            "An emergency admission within 30 days of the patient's previous discharge "
            "(excluding maternity, cancer, children under 4 and deaths). Not paid from April "
            "2011; before then, information for the practice.",
            ("apc",),
            _WHOLE,
            patient_rules.emergency_readmission,
        ),
        Rule(
            "over_cap_follow_up_ratio",
            "Follow-ups above the agreed new-to-follow-up cap",
            "Follow-ups beyond the locally agreed ratio to first attendances for the provider, "
            "specialty and year (the latest follow-ups of the year are the excess).",
            ("op",),
            _WHOLE,
            contract_rules.over_cap_follow_up_ratio,
        ),
        Rule(
            "high_cost_activity",
            "High-cost activity for clinical review",
            "A spell or attendance charged above the high-cost threshold (£3,000 by default), "
            "queued for clinical review.",
            ("apc", "op", "ae"),
            "the whole charge, under review",
            charging_rules.high_cost_activity,
        ),
        Rule(
            "invoice_line_without_activity",
            "Invoice line without activity",
            "A provider's invoice charges a spell or attendance (by its provider spell number "
            "or attendance identifier) that is not in the activity received: charged for "
            "activity the commissioner has no record of.",
            ("apc", "op", "ae"),
            "the net charge of the lines",
            invoice_rules.invoice_line_without_activity,
        ),
        Rule(
            "activity_not_invoiced",
            "Activity not invoiced after the invoicing window",
            "Activity received (HES / SUS) with no invoice line after the invoicing window "
            "(2 months after the end of its month by default) has closed: ask the provider, "
            "or stop counting its expected cost.",
            ("apc", "op", "ae"),
            "nothing (not charged)",
            invoice_rules.activity_not_invoiced,
        ),
        Rule(
            "hrg_version_for_year",
            "HRG of the wrong version for its year",
            "An HRG v3.5 code in a year priced by HRG4 (2009/10 on), or an HRG4 code in a year "
            "priced by HRG v3.5 (2008/09 and before): the row cannot be priced from its year's "
            "tariff and must be re-grouped.",
            ("apc", "op", "ae"),
            "the whole charge where the charged HRG is of the wrong version",
            hrg_rules.hrg_version_for_year,
        ),
    )
}
# The rules the generator's truth file (`faults`) lists faults for, which scoring judges; the
# others (invoice reconciliation) are spec-tested on hand-made rows.
SCORED_RULE_IDS = FAULT_RULE_IDS
