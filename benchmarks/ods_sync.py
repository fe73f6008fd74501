"""Benchmark: the ODS sync (`pbc.orgs.ods.sync`) at national size.

    .venv/bin/python benchmarks/ods_sync.py [--practices N] [--workdir DIR]

The rows are built as `tests/orgs/test_ods_sync_bulk.py` builds them (four practices to a PCN,
the fourth in no PCN, twelve to a sub-ICB location, every other one named by eccg), N practices
(default 8,233, the GP practices of the real September 2025 epraccur). A fresh SQLite database
in the work directory is migrated, then timed (process time, as the machine may be shared):

1. the first sync (every commissioner, PCN, practice and link made);
2. a second sync of the same rows (nothing changed).

The last line printed is one JSON object: practices, first_cpu_s, first_queries, again_cpu_s,
again_queries. On the real epraccur with the February 2026 ePCN the sync took 31 s of CPU and
152,141 queries before it worked in bulk (December 2026), 1.3 s and 193 after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--practices", type=int, default=8233)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pbc-ods-sync-"))
    os.environ["PBC_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    from pbc.cli import migrate, setup_django

    setup_django()
    migrate()
    from django.db import connection
    from tests.orgs.test_ods_sync_bulk import files

    from pbc.orgs import ods

    rows = files(0, args.practices)
    out: dict[str, Any] = {"practices": args.practices}
    count = [0]

    def counter(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    for label in ("first", "again"):
        count[0] = 0
        with connection.execute_wrapper(counter):
            start = time.process_time()
            ods.sync(None, *rows, today=dt.date(2026, 2, 1))
            out[f"{label}_cpu_s"] = round(time.process_time() - start, 2)
        out[f"{label}_queries"] = count[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
