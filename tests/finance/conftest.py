"""The finance demo (contracts, other spend, approved 2008/09 budgets, refresh to January 2009),
built once per session on top of the test-scale demo."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def finance_demo(django_db_setup: None, django_db_blocker: Any) -> dict[str, int]:
    from pbc.finance import demo

    with django_db_blocker.unblock():
        return demo.load("test", report=lambda step: None)
