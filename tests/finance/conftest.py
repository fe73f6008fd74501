"""The finance demo (contracts, other spend, approved 2008/09 budgets, refresh to January 2009)
is part of the session's test-scale demo (`pbc.demo.build`); this fixture names the dependency
for the finance tests and checks the demo really holds it."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def finance_demo(django_db_setup: None, django_db_blocker: object) -> None:
    from pbc.finance.models import BudgetVersion

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        assert BudgetVersion.objects.filter(status="approved").exists(), "finance demo missing"
