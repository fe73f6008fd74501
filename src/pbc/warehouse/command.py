"""`pbc warehouse status [--json]` as a plain function for `pbc.cli`.

(`pbc import` goes through `pbc.imports.actions.run_import`, which also records the import.)
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO

from pbc.warehouse.status import warehouse_status

EXIT_OK = 0


def status_command(
    *,
    as_json: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    stdout: IO[str] | None = None,
) -> int:
    out = stdout or sys.stdout
    status = warehouse_status(data_dir)
    if as_json:
        out.write(json.dumps(status, indent=1) + "\n")
        return EXIT_OK
    out.write(f"Warehouse: {status['warehouse']}\n")
    datasets = status["datasets"]
    assert isinstance(datasets, list)
    for d in datasets:
        periods = sorted({p.get("period", "") for p in d["partitions"]} - {""})
        span = f"{periods[0]} to {periods[-1]}" if periods else ""
        out.write(
            f"  {d['name']:<22} {d['rows']:>12,} rows  {len(d['partitions']):>5} partitions  "
            f"{span}\n"
        )
    return EXIT_OK
