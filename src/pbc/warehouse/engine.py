"""The one place that opens a query engine: Ibis over DuckDB (default) or PySpark.

Analytics code receives an Ibis connection and calls `table(con, "apc")`; it never imports
duckdb or pyspark. The engine is configuration: `connect()` reads `$PBC_ENGINE` ("duckdb" or
"pyspark", default "duckdb"); `connect("pyspark")` uses one shared SparkSession per process
(`spark_session()`).

`table(con, dataset)` reads the dataset's committed Parquet files (the manifest, see
`pbc.warehouse.store`) by explicit path, without Hive partition inference, and selects the
stored columns in declared order: the fields, then `<field>_valid` flags, then `period`. A
dataset never imported reads as an empty table with the same schema.

PySpark set-up: the master (`local[2]` by default, or a cluster, or a Spark Connect endpoint),
Spark properties and where the cluster reads the warehouse come from the environment
(`pbc.warehouse.spark_config`); pbc's own Spark properties are `spark_properties()`. Local mode
stays on loopback (`SPARK_LOCAL_IP=127.0.0.1`). Spark 4 needs Java 17 or later on the driver
(not for Spark Connect): `java_problem()` says what is missing.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa
import pyarrow.parquet as pq

from pbc.warehouse import coerce, spark_config, store
from pbc.warehouse.schema import Dataset

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

ENGINES = ("duckdb", "pyspark")
ENGINE_ENV = "PBC_ENGINE"
JAVA_MAJOR = 17

_spark: Any = None


def engine_name(explicit: str | None = None) -> str:
    """The configured engine: `explicit`, else `$PBC_ENGINE`, else "duckdb"."""
    name = explicit or os.environ.get(ENGINE_ENV) or "duckdb"
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return name


def java_problem() -> str | None:
    """None when Java 17+ is on the PATH; otherwise what is wrong and how to fix it."""
    java = shutil.which("java")
    if java is None:
        return (
            "PySpark needs Java 17, and no `java` is on the PATH: install it "
            "(Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"PySpark needs Java 17; running `java -version` failed: {err}"
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        return f"PySpark needs Java 17; cannot read the version from: {out.stderr.strip()!r}"
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0" style
        major = int(match.group(2))
    if major < JAVA_MAJOR:
        return f"PySpark needs Java 17, found Java {major} at {java}"
    return None


# Spark properties pbc sets (before `PBC_SPARK_CONF`, which may override any of them): dates and
# times in UTC, few shuffle partitions (the data are small per query), partition column type
# inference off, Parquet dates read without calendar rebasing (DuckDB writes proleptic Gregorian
# dates; the importer only admits years 1850 to 2100), Arrow for results.
SQL_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
# Set when pbc starts the JVM itself (not through Spark Connect, whose server owns them).
DRIVER_DEFAULTS = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
# Local mode only: everything on loopback, two cores.
LOCAL_DEFAULTS = {"spark.driver.bindAddress": "127.0.0.1", "spark.default.parallelism": "2"}


def spark_settings() -> spark_config.SparkConfig:
    """The Spark configuration of this process's environment (`pbc.warehouse.spark_config`)."""
    return spark_config.from_environment(os.environ)


def spark_properties(
    settings: spark_config.SparkConfig, config: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The Spark properties a session is built with: pbc's defaults for its kind of master,
    then `config`, then the environment's `PBC_SPARK_CONF` (later ones win)."""
    props = dict(SQL_DEFAULTS)
    if not settings.connect:
        props.update(DRIVER_DEFAULTS)
    if settings.local:
        props.update(LOCAL_DEFAULTS)
    props.update(config or {})
    props.update(settings.conf)
    return props


def spark_session(config: Mapping[str, str] | None = None) -> Any:
    """The process's shared SparkSession (created on first use, stopped at exit) on the master
    `PBC_SPARK_MASTER` names (default local[2]) or the Spark Connect endpoint it names.
    `config` sets more Spark properties on the first call only (the tests use settings that
    plan small queries fast); `PBC_SPARK_CONF` overrides them."""
    global _spark
    if _spark is not None:
        return _spark
    settings = spark_settings()
    if not settings.connect:
        problem = java_problem()
        if problem:
            raise RuntimeError(problem)
    if settings.local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:  # pragma: no cover - depends on the install
        raise RuntimeError("PySpark is not installed: install the extra pbc[spark]") from err
    builder: Any = SparkSession.builder
    builder = (
        builder.remote(settings.master) if settings.connect else builder.master(settings.master)
    )
    builder = builder.appName("pbc")
    for key, value in spark_properties(settings, config).items():
        builder = builder.config(key, value)
    _spark = builder.getOrCreate()
    if not settings.connect:
        _spark.sparkContext.setLogLevel("ERROR")
    atexit.register(_stop_spark)
    return _spark


def _stop_spark() -> None:
    global _spark
    if _spark is not None:
        _spark.stop()
        _spark = None


def connect(engine: str | None = None, *, spark: Any = None) -> BaseBackend:
    """An Ibis connection to the configured engine (in-memory DuckDB, or PySpark on the
    session `spark_session()` gives unless `spark` is given)."""
    name = engine_name(engine)
    if name == "duckdb":
        con = ibis.duckdb.connect()
        # A dataset is hundreds of Parquet files (one per period partition) that a refresh
        # reads in many queries: their footers are read once per connection, not per query.
        con.raw_sql("SET parquet_metadata_cache = true")
        return con
    return ibis.pyspark.connect(spark if spark is not None else spark_session())


# --- reading datasets ---------------------------------------------------------------------------

_ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
}


def stored_schema(dataset: Dataset) -> pa.Schema:
    """The Arrow schema of the dataset's Parquet files (fields, flags, period)."""
    fields = []
    for f in dataset.fields:
        typ = pa.decimal128(f.precision, f.scale) if f.type == "decimal" else _ARROW_TYPES[f.type]
        fields.append(pa.field(f.name, typ))
    fields += [pa.field(coerce.flag_name(f), pa.bool_()) for f in coerce.flag_fields(dataset)]
    if dataset.period_field is not None:
        fields.append(pa.field("period", pa.string()))
    return pa.schema(fields)


def ibis_schema(dataset: Dataset) -> ibis.Schema:
    return ibis.Schema.from_pyarrow(stored_schema(dataset))


def _empty_file(dataset: Dataset, data_dir: str | os.PathLike[str] | None) -> Path:
    """A zero-row Parquet file with the dataset's schema (so empty datasets read everywhere)."""
    folder = store.warehouse_dir(data_dir) / "_schemas"
    folder.mkdir(parents=True, exist_ok=True)
    schema = stored_schema(dataset)
    digest = hashlib.sha256(schema.to_string().encode()).hexdigest()[:12]
    path = folder / f"{dataset.name}-{digest}.parquet"
    if not path.exists():
        tmp = folder / f".{path.name}.{secrets.token_hex(4)}"
        pq.write_table(schema.empty_table(), tmp)
        os.replace(tmp, path)
    return path


def resolve(dataset: Dataset | str) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    from pbc.warehouse.datasets import dataset as lookup

    return lookup(dataset)


def table(
    con: BaseBackend, dataset: Dataset | str, *, data_dir: str | os.PathLike[str] | None = None
) -> ibis.Table:
    """The committed rows of a warehouse dataset as an Ibis table on connection `con`."""
    ds = resolve(dataset)
    files = [str(p) for p in store.live_files(ds, data_dir)]
    if not files:
        files = [str(_empty_file(ds, data_dir))]
    name = f"wh_{ds.name}_{secrets.token_hex(4)}"
    columns = list(stored_schema(ds).names)
    # Files stored under an older declaration (before an optional field was added) are read
    # with columns matched by name, their missing fields as nulls; otherwise the engines take
    # the columns from one file, which is quicker (0.9 against 1.6 s of CPU for five reads of
    # 900 files).
    by_name = store.stored_under_other_declarations(ds, data_dir)
    if con.name == "duckdb":
        options = {"union_by_name": True} if by_name else {}
        t = con.read_parquet(files, table_name=name, hive_partitioning=False, **options)
    elif con.name == "pyspark":
        local_root = str(store.warehouse_dir(data_dir))
        settings = spark_settings()
        paths = [spark_config.cluster_path(f, local_root, settings) for f in files]
        reader = con._session.read.option("mergeSchema", "true") if by_name else con._session.read
        reader.parquet(*paths).createOrReplaceTempView(name)
        t = con.table(name)
    else:  # pragma: no cover - guarded by engine_name
        raise ValueError(f"unsupported engine {con.name}")
    expected = ibis_schema(ds)
    missing = {c: ibis.null().cast(expected[c]) for c in columns if c not in t.columns}
    if missing:  # no file has the field yet
        t = t.mutate(**missing)
    t = t.select(*columns)
    casts = {c: expected[c] for c in columns if t.schema()[c] != expected[c]}
    return t.cast(casts) if casts else t


def money_type(precision: int = 14, scale: int = 2) -> dt.Decimal:
    return dt.Decimal(precision, scale)
