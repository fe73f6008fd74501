"""Budget lines of an indicative practice budget and how spend maps onto them.

Acute activity is charged to a line by the point of delivery the provider invoiced
(`charged_point_of_delivery`), because budgets are charged with what providers invoiced:

| line | charged point of delivery / source |
| --- | --- |
| elective | EL, DC (elective inpatients and day cases) |
| non_elective | NEL, NELST (emergency, maternity and other non-elective spells) |
| outpatients | OPFA, OPFUP, OPPROC; IMG (unbundled diagnostic imaging, see `spend`) |
| ae | AE |
| prescribing | the prescribing dataset's actual cost |
| community | block contracts with community, mental health and provider services |
| enhanced_services | enhanced-service payments to practices (app database) |
| deficit_repayment | no spend: a negative budget, the practice's share of an instalment of an approved deficit repayment agreement (`pbc.finance.agreements`) |

`LINES` are the spend lines every budget and statement has; the deficit repayment line is in a
budget (and so in its statements) only for the years an approved agreement has an instalment.

Non-elective care and A&E are the emergency lines: their monthly budget profile is seasonal
(last year's shape), the others are flat twelfths.
"""

from __future__ import annotations

from enum import StrEnum


class BudgetLine(StrEnum):
    ELECTIVE = "elective"
    NON_ELECTIVE = "non_elective"
    OUTPATIENTS = "outpatients"
    AE = "ae"
    PRESCRIBING = "prescribing"
    COMMUNITY = "community"
    ENHANCED_SERVICES = "enhanced_services"
    DEFICIT_REPAYMENT = "deficit_repayment"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS: dict[BudgetLine, str] = {
    BudgetLine.ELECTIVE: "Elective",
    BudgetLine.NON_ELECTIVE: "Non-elective",
    BudgetLine.OUTPATIENTS: "Outpatients",
    BudgetLine.AE: "A&E",
    BudgetLine.PRESCRIBING: "Prescribing",
    BudgetLine.COMMUNITY: "Community and provider services",
    BudgetLine.ENHANCED_SERVICES: "Enhanced services",
    BudgetLine.DEFICIT_REPAYMENT: "Deficit repayment",
}

LINES: tuple[BudgetLine, ...] = tuple(b for b in BudgetLine if b != BudgetLine.DEFICIT_REPAYMENT)
ACUTE_LINES = (
    BudgetLine.ELECTIVE,
    BudgetLine.NON_ELECTIVE,
    BudgetLine.OUTPATIENTS,
    BudgetLine.AE,
)
EMERGENCY_LINES = (BudgetLine.NON_ELECTIVE, BudgetLine.AE)

LINE_OF_POD: dict[str, BudgetLine] = {
    "EL": BudgetLine.ELECTIVE,
    "DC": BudgetLine.ELECTIVE,
    "NEL": BudgetLine.NON_ELECTIVE,
    "NELST": BudgetLine.NON_ELECTIVE,
    "OPFA": BudgetLine.OUTPATIENTS,
    "OPFUP": BudgetLine.OUTPATIENTS,
    "OPPROC": BudgetLine.OUTPATIENTS,
    "IMG": BudgetLine.OUTPATIENTS,
    "AE": BudgetLine.AE,
}
