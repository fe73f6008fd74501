"""The warehouse commands, as plain functions for `pbc.cli` to wire up.

- `import_command(dataset, file, period=None, as_json=False, ...)` for
  `pbc import DATASET FILE [--period YYYY-MM] [--json]`: runs the import with a progress bar
  on stderr (when stderr is a terminal and not `--json`), prints the record (JSON with
  `--json`, a short summary otherwise) and returns a `CommandOutcome` with the exit code and
  the `ImportResult` for the caller to store (user, time...). A refused file prints the
  refusal (as `{"refused": true, "source_name": ..., "problem": ...}` with `--json`) and
  exits 2. Nothing else is caught: a crash is a bug and must show its traceback.
- `status_command(as_json=False)` for `pbc warehouse status [--json]`.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pbc.warehouse.ingest import ImportRefused, ImportResult, ProgressCallback, import_file
from pbc.warehouse.status import warehouse_status

EXIT_OK = 0
EXIT_REFUSED = 2


@dataclass(frozen=True)
class CommandOutcome:
    exit_code: int
    result: ImportResult | None = None
    refusal: ImportRefused | None = None


def _summary(r: ImportResult) -> str:
    lines = [
        f"Imported {r.source_name} into {r.dataset} ({r.format}, sha256 {r.checksum[:12]}...)",
        f"  rows read {r.rows_read:,} = loaded {r.rows_loaded:,} + rejected {r.rows_rejected:,}"
        f"; flagged {r.rows_flagged:,}",
        f"  partitions written {len(r.partitions)} (replaced {len(r.partitions_replaced)})"
        f" in {r.seconds:.1f} s",
    ]
    if r.quarantine_path:
        lines.append(f"  quarantine: {r.quarantine_path}")
    return "\n".join(lines)


def import_command(
    dataset: str,
    file: str | os.PathLike[str],
    *,
    period: str | None = None,
    as_json: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    show_progress: bool | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> CommandOutcome:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if show_progress is None:
        show_progress = not as_json and err.isatty()
    try:
        if show_progress:
            result = _with_progress_bar(dataset, Path(file), period, data_dir, err)
        else:
            result = import_file(dataset, file, period=period, data_dir=data_dir)
    except ImportRefused as refusal:
        if as_json:
            payload = {
                "refused": True,
                "dataset": dataset,
                "source_name": refusal.source_name,
                "problem": refusal.problem,
            }
            out.write(json.dumps(payload) + "\n")
        else:
            err.write(f"Refused: {refusal}\n")
        return CommandOutcome(EXIT_REFUSED, refusal=refusal)
    out.write((result.to_json() if as_json else _summary(result)) + "\n")
    return CommandOutcome(EXIT_OK, result=result)


def _with_progress_bar(
    dataset: str,
    file: Path,
    period: str | None,
    data_dir: str | os.PathLike[str] | None,
    err: IO[str],
) -> ImportResult:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=Console(file=err),
        transient=True,
    ) as bar:
        task = bar.add_task("checking", total=1.0)

        def progress(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=fraction)

        callback: ProgressCallback = progress
        return import_file(dataset, file, period=period, data_dir=data_dir, progress=callback)


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
