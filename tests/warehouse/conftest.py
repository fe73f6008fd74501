"""Warehouse test helpers: the engine fixtures, a small declared dataset and file writers.

The `engine` / `spark_session` fixtures come from tests/engine_fixtures.py, loaded here by
path so these tests work whether or not tests/conftest.py registers that plugin.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PLUGIN = Path(__file__).resolve().parent.parent / "engine_fixtures.py"
_spec = importlib.util.spec_from_file_location("pbc_tests_engine_fixtures", _PLUGIN)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
sys.modules.setdefault(_spec.name, _module)
_spec.loader.exec_module(_module)

engine = _module.engine
spark_session = _module.spark_session


def load_sample():  # type: ignore[no-untyped-def]
    """tests/warehouse/sample.py as a module (also used by the kill test's child process)."""
    path = Path(__file__).resolve().parent / "sample.py"
    spec = importlib.util.spec_from_file_location("pbc_tests_warehouse_sample", path)
    assert spec is not None and spec.loader is not None
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sample():  # type: ignore[no-untyped-def]
    return load_sample()
