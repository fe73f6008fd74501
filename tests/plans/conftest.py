"""Fixtures for the plan app tests (the document reader tests need none of them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from pbc.orgs.models import Locality
from pbc.plans import actions
from pbc.plans.models import Plan
from pbc.plans.reading import read_plan

WELWYN_SEED = (
    Path(__file__).resolve().parents[2] / "src/pbc/plans/seeds/welwyn-hatfield-2008-09.txt"
)


@pytest.fixture
def fresh_plan(db: None) -> Plan:
    """The Welwyn Hatfield seed imported as the locality's 2009/10 plan: no progress yet."""
    locality = Locality.objects.get(slug="welwyn-hatfield")
    source = WELWYN_SEED.read_bytes()
    parsed = read_plan(source, filename=WELWYN_SEED.name, financial_year="2009/10")
    manager = get_user_model().objects.get(username="wh-locality")
    return actions.import_plan(manager, locality, parsed, source).plan
