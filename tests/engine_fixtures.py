"""Pytest plugin: the `engine` fixture, an Ibis connection on every warehouse engine.

Register it from tests/conftest.py (`pytest_plugins = ["tests.engine_fixtures"]`, with the
project root importable). A test that takes `engine` runs twice: on DuckDB, and on PySpark
(local mode, marked `spark`, so `-m "not spark"` leaves it out). Read warehouse data with
`pbc.warehouse.engine.table(engine, "apc", data_dir=...)`; `engine.name` is "duckdb" or
"pyspark".

PySpark: one SparkSession for the whole test run (`spark_session`, session scope), created by
`pbc.warehouse.engine.spark_session()` with SPARK_LOCAL_IP=127.0.0.1. If Java 17 or PySpark is
missing, the spark tests fail with a message saying what to install (never skip into green).

`spark_cluster`: a standalone Spark cluster on 127.0.0.1 (a master and two workers of one core
and 512 MB each, `tests/spark_cluster.py`), started once for the test run when a test asks for
it and stopped at its end. It runs no queries of this process (one process has one Spark
driver, the local session above): tests run `pbc` or pytest child processes on it with
`cluster.client_environment()`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

ENGINE_PARAMS = ["duckdb", pytest.param("pyspark", marks=pytest.mark.spark)]

# Test-only Spark settings: the test tables hold a handful of rows, so the time goes in planning
# and compiling (large Ibis expressions), not in moving data.
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
TEST_SPARK_CONFIG = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    # Interpreted, not compiled: over a handful of rows, generating and compiling Java for
    # each large plan costs far more than it saves (measured: the JVM's CPU time for the
    # costing, rule and indicator spark tests fell from ~75 s to ~40 s).
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    # The JVMs' own just-in-time compiling: the client compiler only, and one garbage collector
    # thread. A test's JVM lives minutes over tiny tables, so the optimising compiler's work never
    # pays back (measured on the test-scale refresh: the driver's CPU time for validation fell
    # from 66 s to 51 s and for finance from 42 s to 30 s).
    "spark.driver.extraJavaOptions": JVM_OPTIONS,
    "spark.executor.extraJavaOptions": JVM_OPTIONS,
    # No re-planning of each stage from its runtime statistics (adaptive execution) and no
    # inferring of filters from constraints, which grows with the size of an expression: over
    # a handful of rows neither can pay back its planning (measured on the rule and costing
    # spark tests: the JVM's CPU time 54.7 s -> 49.3 s, the largest plan, every rule at once,
    # 18.0 s -> 14.3 s). Both change how a query runs, never its result.
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.constraintPropagation.enabled": "false",
}


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
    return wh_engine.spark_session(TEST_SPARK_CONFIG)


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A standalone Spark cluster (master and two workers) on loopback, for the whole run."""
    from pbc.warehouse import engine as wh_engine
    from spark_cluster import standalone_cluster

    problem = wh_engine.java_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster")) as cluster:
        yield cluster


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
