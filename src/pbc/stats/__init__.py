"""Public-health statistics: intervals, standardisation, funnels, SPC, life expectancy.

Pure functions with no Django or database dependency. Reference implementations:
PHEindicatormethods (UKHSA) for intervals, DSR, ISR, funnels and life expectancy;
NHSRplotthedots (NHS-R Community) for Making Data Count SPC. See ``docs/stats.md``.
"""

from pbc.stats.compare import rate_ratio
from pbc.stats.funnels import (
    FunnelLimits,
    FunnelSignificance,
    funnel_limits,
    funnel_significance,
)
from pbc.stats.intervals import Interval, RateInterval, count_ci, proportion_ci, rate_ci
from pbc.stats.life_expectancy import STANDARD_START_AGES, LifeExpectancyBand, life_expectancy
from pbc.stats.means import MeanInterval, mean_ci
from pbc.stats.spc import SpcPoint, XmrChart, xmr
from pbc.stats.standardised import (
    IsrResult,
    dsr,
    dsr_non_independent,
    esp2013_weights,
    european_standard_population_2013,
    isr,
)
from pbc.stats.suppression import (
    HES_2018,
    HES_BEFORE_2018,
    DisclosureRule,
    SuppressedTable,
    suppress,
)

__all__ = [
    "HES_2018",
    "HES_BEFORE_2018",
    "STANDARD_START_AGES",
    "DisclosureRule",
    "FunnelLimits",
    "FunnelSignificance",
    "Interval",
    "IsrResult",
    "LifeExpectancyBand",
    "MeanInterval",
    "RateInterval",
    "SpcPoint",
    "SuppressedTable",
    "XmrChart",
    "count_ci",
    "dsr",
    "dsr_non_independent",
    "esp2013_weights",
    "european_standard_population_2013",
    "funnel_limits",
    "funnel_significance",
    "isr",
    "life_expectancy",
    "mean_ci",
    "proportion_ci",
    "rate_ratio",
    "rate_ci",
    "suppress",
    "xmr",
]
