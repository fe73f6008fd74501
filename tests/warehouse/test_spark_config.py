"""Where PySpark runs is configuration: the master or Spark Connect endpoint, Spark properties
passed through, and the warehouse as the cluster reads it (pbc.warehouse.spark_config)."""

from __future__ import annotations

import pytest

from pbc.warehouse import engine as wh_engine
from pbc.warehouse import spark_config as sc


def test_default_is_local_mode_on_two_cores() -> None:
    config = sc.from_environment({})
    assert config == sc.SparkConfig("local[2]", {}, None)
    assert config.local and not config.connect
    props = wh_engine.spark_properties(config)
    assert props["spark.driver.bindAddress"] == "127.0.0.1"
    assert props["spark.ui.enabled"] == "false"
    assert props["spark.sql.session.timeZone"] == "UTC"


@pytest.mark.parametrize(
    "master",
    ["local", "local[4]", "local[*]", "spark://10.0.0.5:7077", "spark://a:7077,b:7077",
     "yarn", "k8s://https://kube.example:6443", "sc://connect.example:15002"],
)  # fmt: skip
def test_every_kind_of_master_is_accepted(master: str) -> None:
    assert sc.from_environment({"PBC_SPARK_MASTER": f" {master} "}).master == master


@pytest.mark.parametrize("master", ["local[two]", "spark:/x:7077", "mesos://m:5050", "http://x"])
def test_an_unknown_master_is_refused_naming_the_variable(master: str) -> None:
    with pytest.raises(ValueError, match=r"PBC_SPARK_MASTER=.* is not a Spark master"):
        sc.from_environment({"PBC_SPARK_MASTER": master})


def test_a_cluster_master_keeps_the_driver_off_loopback_and_properties_override() -> None:
    env = {
        "PBC_SPARK_MASTER": "spark://10.0.0.5:7077",
        "PBC_SPARK_CONF": "spark.executor.memory=4g;\n spark.sql.shuffle.partitions = 64 \n"
        "spark.driver.extraJavaOptions=-Da=b -Dc=d,e",
    }
    config = sc.from_environment(env)
    assert not config.local and not config.connect
    props = wh_engine.spark_properties(config, {"spark.sql.shuffle.partitions": "1"})
    assert "spark.driver.bindAddress" not in props  # executors must reach the driver
    assert "spark.default.parallelism" not in props
    assert props["spark.executor.memory"] == "4g"
    assert props["spark.sql.shuffle.partitions"] == "64"  # the environment wins over code
    assert props["spark.driver.extraJavaOptions"] == "-Da=b -Dc=d,e"
    assert props["spark.sql.parquet.datetimeRebaseModeInRead"] == "CORRECTED"


def test_spark_connect_sets_only_session_properties() -> None:
    config = sc.from_environment({"PBC_SPARK_MASTER": "sc://localhost:15002"})
    assert config.connect and not config.local
    props = wh_engine.spark_properties(config)
    assert "spark.ui.enabled" not in props  # static: the Connect server owns it
    assert all(key.startswith("spark.sql.") for key in props)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("spark.executor.memory=4g;spark.executor.cores", r"entry 2 \('spark.executor.cores'\)"),
        ("executor.memory=4g", r"entry 1: 'executor.memory' is not a Spark property"),
    ],
)
def test_bad_spark_properties_are_refused_naming_the_entry(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sc.from_environment({"PBC_SPARK_CONF": text})


def test_the_cluster_reads_warehouse_files_under_its_own_location() -> None:
    local = "/srv/pbc/data/warehouse"
    file = f"{local}/apc/period=2008-04/part-1-0.parquet"
    assert sc.cluster_path(file, local, sc.SparkConfig()) == file
    shared = sc.from_environment({"PBC_SPARK_WAREHOUSE": "hdfs://nn:8020/pbc/warehouse/"})
    assert shared.warehouse == "hdfs://nn:8020/pbc/warehouse"
    assert sc.cluster_path(file, local + "/", shared) == (
        "hdfs://nn:8020/pbc/warehouse/apc/period=2008-04/part-1-0.parquet"
    )
    with pytest.raises(ValueError, match="is not under the warehouse"):
        sc.cluster_path("/srv/pbc/data/warehouse-old/apc/x.parquet", local, shared)
