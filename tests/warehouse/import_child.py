"""Child process for test_kill.py: import a file into the test dataset, then print the result.

Usage: python import_child.py DATA_DIR FILE. With PBC_IMPORT_PAUSE set, the import blocks at
that step until the test kills this process.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from pbc.warehouse.ingest import import_file

spec = importlib.util.spec_from_file_location("sample", Path(__file__).parent / "sample.py")
assert spec is not None and spec.loader is not None
sample = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sample)

if __name__ == "__main__":
    result = import_file(sample.ACTIVITY, sys.argv[2], data_dir=sys.argv[1])
    print(result.to_json())
