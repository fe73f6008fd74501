"""The human title of each warehouse dataset, as the pages show it (the imports page's dataset
list, its recent imports and returns, an import's own page). The dataset's name (`apc`,
`list_sizes`) stays the key in files, commands and URLs; a page shows "Admitted patient care
(apc)" so that the name a command needs is still there."""

from __future__ import annotations

TITLES: dict[str, str] = {
    "ae": "A&E attendances",
    "ae_attendances": "A&E monthly statistics (return)",
    "apc": "Admitted patient care (hospital spells)",
    "breastfeeding_returns": "Breastfeeding at 6-8 weeks (return)",
    "cancer_waits_returns": "Cancer waiting times (return)",
    "chlamydia_returns": "Chlamydia screening (return)",
    "choice_returns": "Patient choice survey (return)",
    "commissioners": "Commissioners (ODS)",
    "deaths": "Registered deaths",
    "faults": "Generator's fault truth file",
    "follow_up_caps": "Follow-up ratio caps",
    "good_buys": "Prescribing switch list (Good Buys)",
    "hcai_returns": "Healthcare-associated infections (return)",
    "hpv_returns": "HPV vaccination (return)",
    "imd_lsoa": "Index of Multiple Deprivation by LSOA",
    "imaging": "Unbundled diagnostic imaging",
    "invoice_lines": "Provider invoice lines",
    "list_sizes": "Registered patients (list sizes)",
    "local_prices": "Local prices",
    "market_forces_factors": "Market forces factors",
    "ncmp_returns": "Child measurement programme (return)",
    "op": "Outpatient attendances",
    "patients": "Patient register",
    "pcn_memberships": "Primary care network memberships",
    "pcns": "Primary care networks (ODS)",
    "population_weights": "Population weights (age and sex)",
    "practices": "GP practices",
    "prescribing": "Practice prescribing",
    "prescribing_targets": "Prescribing incentive scheme targets",
    "providers": "Providers",
    "qof_prevalence": "QOF disease registers",
    "referrals": "GP referrals",
    "rtt": "Referral to treatment pathways",
    "rtt_returns": "Referral to treatment (return)",
    "smoking_survey_returns": "Smoking prevalence survey (return)",
    "stroke_returns": "Stroke and TIA (return)",
    "tariff": "National tariff",
    "weighted_populations": "Weighted list sizes",
}


def title_of(name: str) -> str:
    """The dataset's title, or its name for a dataset without one (an old import's record)."""
    return TITLES.get(name, name)


def label_of(name: str) -> str:
    """Title and name, as a list shows them: "Admitted patient care (hospital spells) (apc)"."""
    title = TITLES.get(name)
    return f"{title} ({name})" if title else name
