"""Deterministic synthetic population and activity generator.

Public API:

- `generate(config=None, **fields) -> dict[str, pyarrow.Table]`: every dataset of
  `pbc.warehouse.datasets` plus the truth file "faults".
- `write(out_dir, fmt="csv"|"parquet", config=None, **fields) -> dict[str, int]`: one file per
  dataset, rows per dataset returned.
- `SynthConfig(population, seed, start, end, localities, fault_rate)` and `demo_scale(name)`
  ("full" or "test").
"""

from pbc.synth.config import SynthConfig, demo_scale
from pbc.synth.generator import generate, generate_frames, write

__all__ = ["SynthConfig", "demo_scale", "generate", "generate_frames", "write"]
