"""Pytest plugin: the `engine` fixture, an Ibis connection on every warehouse engine.

Register it from tests/conftest.py (`pytest_plugins = ["tests.engine_fixtures"]`, with the
project root importable). A test that takes `engine` runs twice: on DuckDB, and on PySpark
(local mode, marked `spark`, so `-m "not spark"` leaves it out). Read warehouse data with
`pbc.warehouse.engine.table(engine, "apc", data_dir=...)`; `engine.name` is "duckdb" or
"pyspark".

PySpark: one SparkSession for the whole test run (`spark_session`, session scope), created by
`pbc.warehouse.engine.spark_session()` with SPARK_LOCAL_IP=127.0.0.1. If Java 17 or PySpark is
missing, the spark tests fail with a message saying what to install (never skip into green).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

ENGINE_PARAMS = ["duckdb", pytest.param("pyspark", marks=pytest.mark.spark)]


@pytest.fixture(scope="session")
def spark_session() -> Any:
    """The one local SparkSession of this test run."""
    from pbc.warehouse import engine as wh_engine

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    problem = wh_engine.java_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail("PySpark is not installed: `make test` installs the extra pbc[spark]")
    return wh_engine.spark_session()


@pytest.fixture(params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest) -> Iterator[Any]:
    """An Ibis connection: in-memory DuckDB, or PySpark on the shared session."""
    from pbc.warehouse import engine as wh_engine

    if request.param == "pyspark":
        con = wh_engine.connect("pyspark", spark=request.getfixturevalue("spark_session"))
    else:
        con = wh_engine.connect("duckdb")
    yield con
    if request.param == "duckdb":
        con.disconnect()
