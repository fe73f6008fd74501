"""Fixtures for the services tests: the services demo, loaded once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def services_demo(django_db_setup: None, django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    from pbc.services import demo

    with django_db_blocker.unblock():
        demo.load("test", report=lambda step: None)
