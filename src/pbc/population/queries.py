"""What other apps read of population health, as plain data."""

from __future__ import annotations

from pbc.population import risk
from pbc.population.models import RiskScore


def case_finding_count(practice_code: str) -> int | None:
    """How many of the practice's patients the current risk model ranks (its case-finding
    list); None before any model has scored."""
    model = risk.current_model()
    if model is None:
        return None
    return RiskScore.objects.filter(model=model, gp_practice_code=practice_code).count()
