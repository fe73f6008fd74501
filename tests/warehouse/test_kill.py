"""kill -9 at every step of an import leaves either the old data or the new, never a mix.

A child process imports a file that replaces two partitions; `PBC_IMPORT_PAUSE` makes it block
at one step (it says so on stderr); the test then SIGKILLs it and reads the warehouse.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pbc.warehouse import store
from pbc.warehouse.ingest import import_file

pytestmark = pytest.mark.slow

CHILD = Path(__file__).parent / "import_child.py"
COMMIT_STEP = store.PAUSE_STEPS.index("committed")


def live_rows(data_dir: Path) -> dict[str, list[tuple[str, Decimal]]]:
    """Rows per partition, as (row_id, price), from the committed manifest."""
    folder = store.dataset_dir("activity", data_dir)
    manifest = store.read_manifest(folder, "activity")
    out = {}
    for name, entry in manifest.partitions.items():
        rows = []
        for rel in entry.files:
            rows += [(r["row_id"], r["price"]) for r in pq.read_table(folder / rel).to_pylist()]
        assert len(rows) == entry.rows
        out[name] = sorted(rows)
    return out


def run_until_paused(step: str, data_dir: Path, file: Path) -> None:
    env = dict(os.environ, PBC_IMPORT_PAUSE=step, PBC_DATA_DIR=str(data_dir))
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), str(file)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # blocks until the child pauses (or ends)
            seen.append(line)
            if line.strip() == f"{store.PAUSE_MESSAGE}{step}":
                break
        else:
            pytest.fail(f"child ended without pausing at {step}: {''.join(seen)[-2000:]}")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("step", store.PAUSE_STEPS)
def test_kill_at_any_step_keeps_old_or_new_data(tmp_path: Path, sample, step: str) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    old_rows = (
        sample.month_rows("2008-04", "RWG", 10, price="10.00")
        + sample.month_rows("2008-04", "RC1", 5, price="20.00")
        + sample.month_rows("2008-05", "RWG", 8, price="30.00")
    )
    import_file(
        sample.ACTIVITY, sample.write_csv(tmp_path / "old.csv", old_rows), data_dir=data_dir
    )
    old = live_rows(data_dir)

    new_rows = sample.month_rows(
        "2008-04", "RWG", 4, price="99.00", prefix="n"
    ) + sample.month_rows("2008-04", "RC1", 3, price="99.00", prefix="n")
    new_file = sample.write_csv(tmp_path / "new.csv", new_rows)
    run_until_paused(step, data_dir, new_file)

    after = live_rows(data_dir)
    if store.PAUSE_STEPS.index(step) < COMMIT_STEP:
        assert after == old
    else:
        assert after["period=2008-05/provider_code=RWG"] == old["period=2008-05/provider_code=RWG"]
        assert len(after["period=2008-04/provider_code=RWG"]) == 4
        assert len(after["period=2008-04/provider_code=RC1"]) == 3
        assert all(price == Decimal("99.00") for p in ("RWG", "RC1")
                   for _, price in after[f"period=2008-04/provider_code={p}"])  # fmt: skip

    # The next import recovers the leftovers and replaces April once: no double counting.
    result = import_file(sample.ACTIVITY, new_file, data_dir=data_dir)
    final = live_rows(data_dir)
    assert sum(len(v) for v in final.values()) == 8 + 4 + 3
    assert sum(p for v in final.values() for _, p in v) == Decimal("240.00") + 7 * Decimal("99.00")
    folder = store.dataset_dir("activity", data_dir)
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))
    assert on_disk == sorted(store.read_manifest(folder, "activity").files())
    assert not (folder / store.STAGING).exists()
    assert result.rows_read == result.rows_loaded == 7
