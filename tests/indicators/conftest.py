"""Indicator test set-up: the test-scale synthetic warehouse, generated once per session."""

from __future__ import annotations

import pyarrow as pa
import pytest


@pytest.fixture(scope="session")
def synth_tables() -> dict[str, pa.Table]:
    from pbc.synth import demo_scale, generate

    return generate(demo_scale("test"))
