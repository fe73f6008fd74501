"""Database constraints hold on their own, whatever the forms do."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pbc.orgs.models import Locality, MarketForcesFactor, Membership, Practice, Provider


@pytest.mark.django_db
def test_membership_must_name_the_roles_organisation() -> None:
    user = get_user_model().objects.create_user("someone")
    practice = Practice.objects.first()
    locality = Locality.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role="practice_user", locality=locality)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=user, role="practice_user", practice=practice, locality=locality
        )
    Membership.objects.create(user=user, role="practice_user", practice=practice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role="practice_user", practice=practice)


@pytest.mark.django_db
def test_one_market_forces_factor_per_provider_and_year() -> None:
    provider = Provider.objects.get(code="RWG")
    assert provider.market_forces_factor("2008/09") == Decimal("1.1082")
    with pytest.raises(IntegrityError), transaction.atomic():
        MarketForcesFactor.objects.create(
            provider=provider, financial_year="2008/09", value=Decimal("1.1")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        MarketForcesFactor.objects.create(
            provider=provider, financial_year="2009/10", value=Decimal("7")
        )


@pytest.mark.django_db
def test_practice_code_shape_validated_by_model() -> None:
    practice = Practice(code="X1", name="Bad", locality=Locality.objects.first())
    with pytest.raises(ValidationError) as error:
        practice.full_clean()
    assert "code" in error.value.message_dict
