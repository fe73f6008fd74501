"""tests/slow_tests.txt names tests that exist: a renamed or deleted test must leave the list,
not leave a stale line while its new name runs in `make check` unmarked."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import measured_slow

ROOT = Path(__file__).resolve().parents[1]


def test_every_listed_slow_test_exists() -> None:
    slow = measured_slow()
    assert len(slow) > 20
    for test_id in sorted(slow):
        path, _, name = test_id.partition("::")
        function = name.split("[", 1)[0]
        source = ROOT / path
        assert source.is_file(), test_id
        assert re.search(rf"^def {re.escape(function)}\(", source.read_text(), re.M), test_id
