"""Validation test fixtures: the engines (tests/engine_fixtures.py) and a fresh `World`."""

from __future__ import annotations

import pytest

from engine_fixtures import engine, spark_session  # noqa: F401  (fixtures)
from validation.world import World


@pytest.fixture
def world() -> World:
    return World()
