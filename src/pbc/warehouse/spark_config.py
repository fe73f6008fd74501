"""Where PySpark runs: the master (or Spark Connect endpoint), the Spark properties passed
through, and where the cluster reads the warehouse. Read from the environment, checked here
(pure: no Spark, no Django), used by `pbc.warehouse.engine.spark_session()`.

- `PBC_SPARK_MASTER` (default `local[2]`): a master URL, `local`, `local[N]`, `local[*]`,
  `spark://host:port` (a standalone cluster, several masters comma-separated), `yarn`,
  `k8s://https://host:port`; or a Spark Connect endpoint `sc://host:port` (needs the
  `pyspark[connect]` client packages and a Spark Connect server).
- `PBC_SPARK_CONF`: Spark properties as `key=value` entries, one per line or separated by `;`
  (values may hold spaces, `=` and commas), e.g.
  `spark.executor.memory=4g;spark.executor.cores=2;spark.driver.host=10.0.0.5`. Each key must
  start with `spark.`; they override pbc's own defaults.
- `PBC_SPARK_WAREHOUSE`: the warehouse directory as the cluster's executors see it, when that
  differs from where this machine writes it (`$PBC_DATA_DIR/warehouse`): another mount point of
  the same shared file system (`/mnt/pbc/warehouse`), or a URI (`hdfs://…`, `s3a://…`, which
  need the connector on the cluster). pbc reads each committed file by its path under this
  location; the manifest and the atomic commit stay on this machine's path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

MASTER_ENV = "PBC_SPARK_MASTER"
CONF_ENV = "PBC_SPARK_CONF"
WAREHOUSE_ENV = "PBC_SPARK_WAREHOUSE"
DEFAULT_MASTER = "local[2]"

_MASTER = re.compile(
    r"local(\[(\d+|\*)(,\d+)?\])?"  # local, local[N], local[*], local[N,retries]
    r"|spark://[^/\s]+"  # standalone: spark://host:port[,host:port...]
    r"|yarn"
    r"|k8s://\S+"
    r"|sc://[^\s]+"  # Spark Connect
)
_KEY = re.compile(r"spark\.[A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class SparkConfig:
    master: str = DEFAULT_MASTER
    conf: dict[str, str] = field(default_factory=dict)
    warehouse: str | None = None  # the warehouse as the cluster reads it; None: the local path

    @property
    def connect(self) -> bool:
        """A Spark Connect endpoint (the session is a client; no JVM here)."""
        return self.master.startswith("sc://")

    @property
    def local(self) -> bool:
        """Local mode: driver and executors in this process's JVM."""
        return self.master.startswith("local")


def parse_master(text: str) -> str:
    master = text.strip()
    if not _MASTER.fullmatch(master):
        raise ValueError(
            f"{MASTER_ENV}={text!r} is not a Spark master: use local[N], spark://host:port, "
            "yarn, k8s://https://host:port or sc://host:port (Spark Connect)"
        )
    return master


def parse_conf(text: str) -> dict[str, str]:
    """`key=value` entries, one per line or `;`-separated, into a dict (later entries win).
    ValueError naming the entry for one without `=` or whose key is not a Spark property."""
    conf: dict[str, str] = {}
    for number, raw in enumerate(re.split(r"[;\n]", text), start=1):
        entry = raw.strip()
        if not entry:
            continue
        key, sep, value = entry.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"{CONF_ENV} entry {number} ({entry!r}) is not key=value")
        if not _KEY.fullmatch(key):
            raise ValueError(
                f"{CONF_ENV} entry {number}: {key!r} is not a Spark property (spark.…)"
            )
        conf[key] = value.strip()
    return conf


def from_environment(environ: Mapping[str, str]) -> SparkConfig:
    """The configuration the environment gives (unset or blank variables: the defaults)."""
    master = environ.get(MASTER_ENV, "").strip()
    warehouse = environ.get(WAREHOUSE_ENV, "").strip().rstrip("/")
    return SparkConfig(
        master=parse_master(master) if master else DEFAULT_MASTER,
        conf=parse_conf(environ.get(CONF_ENV, "")),
        warehouse=warehouse or None,
    )


def cluster_path(path: str, local_warehouse: str, config: SparkConfig) -> str:
    """`path`, a file under `local_warehouse`, as the cluster reads it."""
    if config.warehouse is None:
        return path
    root = local_warehouse.rstrip("/")
    if path != root and not path.startswith(root + "/"):
        raise ValueError(f"{path} is not under the warehouse {root}")
    return config.warehouse + path[len(root) :]
