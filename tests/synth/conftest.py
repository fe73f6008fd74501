"""One small generation shared by the synth tests (test scale, generated once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from pbc.synth import SynthConfig, demo_scale, generate_frames


@pytest.fixture(scope="session")
def test_config() -> SynthConfig:
    return demo_scale("test")


@pytest.fixture(scope="session")
def frames(test_config: SynthConfig) -> dict[str, pd.DataFrame]:
    return generate_frames(test_config)


@pytest.fixture(scope="session")
def clean_frames() -> dict[str, pd.DataFrame]:
    """Fault rate 0: only natural faults may appear in the truth file."""
    return generate_frames(
        SynthConfig(
            population=1500, seed=7, localities=("dacorum", "welwyn-hatfield"), fault_rate=0
        )
    )
