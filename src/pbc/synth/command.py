"""`pbc synth` as a plain function, for the lead to wire into the typer CLI."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from pbc.synth.config import SynthConfig
from pbc.synth.generator import write


def synth_command(
    population: int | None,
    seed: int,
    start: str,
    end: str,
    out: str | Path,
    fmt: str = "csv",
    localities: Sequence[str] | None = None,
    fault_rate: float = 0.02,
) -> dict[str, object]:
    """Generate and write the synthetic data set; returns a summary
    {"out", "format", "seconds", "rows": {dataset: rows}} for the CLI to print (as JSON or a
    table). Raises ValueError for bad parameters and OSError when the disk is too full."""
    config = SynthConfig(
        population=population,
        seed=seed,
        start=start,
        end=end,
        localities=tuple(localities) if localities else None,
        fault_rate=fault_rate,
    )
    t0 = time.perf_counter()
    rows = write(out, fmt=fmt, config=config)
    return {
        "out": str(out),
        "format": fmt,
        "seconds": round(time.perf_counter() - t0, 2),
        "rows": rows,
    }
