"""What other apps read of population health, as plain data."""

from __future__ import annotations

from typing import Any

from pbc.orgs.models import Locality
from pbc.population import risk
from pbc.population.models import RiskScore


def case_finding_count(practice_code: str) -> int | None:
    """How many of the practice's patients the current risk model ranks (its case-finding
    list); None before any model has scored."""
    model = risk.current_model()
    if model is None:
        return None
    return RiskScore.objects.filter(model=model, gp_practice_code=practice_code).count()


def locality_inequalities(locality: Locality) -> tuple[dict[str, Any], dict[str, str]]:
    """The inequalities page's figures for a locality, as the page has them (the stored result
    `inequalities` of the current data state): {area name: years (`iq.YearLe`)} for the
    locality and its PCT, and the IMD edition each year's deprivation was read from. Call it
    only after the user's permission for the locality has been checked."""
    from pbc.orgs.models import Practice
    from pbc.population import present
    from pbc.refresh import results

    local = [p.code for p in locality.practices.all()]
    pct_codes = list(
        Practice.objects.filter(locality__pct=locality.pct).values_list("code", flat=True)
    )
    data = results.stored(
        "inequalities", locality, lambda: present.inequalities_for(local, pct_codes)
    )
    series = {f"{locality.name} locality": data.locality, locality.pct.name: data.pct}
    return series, dict(getattr(data, "editions", ()))
