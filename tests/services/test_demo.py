"""The services demo loads, deterministically and idempotently."""

from __future__ import annotations

import pytest

from pbc.demo import services as demo
from pbc.services.models import Claim, ProviderReturn, ReturnRow, SignUp, SurveyResult


@pytest.mark.django_db
def test_demo_is_idempotent_and_has_a_return_with_known_problems(services_demo: None) -> None:
    counts = [m.objects.count() for m in (SignUp, Claim, ProviderReturn, ReturnRow, SurveyResult)]
    demo.load("test", report=lambda step: None)
    assert [
        m.objects.count() for m in (SignUp, Claim, ProviderReturn, ReturnRow, SurveyResult)
    ] == counts
    assert all(counts)
    flawed = ProviderReturn.objects.get(status="accepted_with_problems")
    assert flawed.contract.template == "tier2-ophthalmology"
    assert len(flawed.problems) == 2
    assert all(p["column"] == "nhs_number" for p in flawed.problems)
    # Six monthly contracts (ophthalmology's January aside) for three months, the private
    # physiotherapy provider not accredited for October only, and counselling for two quarters.
    assert ProviderReturn.objects.filter(status="accepted").count() == 6 * 3 + 1 + 2
    assert Claim.objects.filter(status="queried").count() == 1
