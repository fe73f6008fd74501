"""Warehouse test helpers: the `sample` module (a small declared dataset and file writers).

The `engine` and `spark_session` fixtures come from tests/engine_fixtures.py, registered as a
plugin by tests/conftest.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def load_sample() -> ModuleType:
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
def sample() -> ModuleType:
    return load_sample()
