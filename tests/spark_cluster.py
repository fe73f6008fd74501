"""A standalone Spark cluster on loopback, started from the PySpark package's own launcher
(`bin/spark-class` and `jars/`): one master and workers, each its own JVM, with small memory.

    with standalone_cluster(workers=2) as cluster:
        env = cluster.client_environment()   # PBC_SPARK_MASTER=spark://127.0.0.1:<port>, ...

Everything listens on 127.0.0.1 (`SPARK_LOCAL_IP`); the master's port is a free one (the URL
is read back from its log, as Spark takes the next port if another process took it first), the
workers' and the web UIs' are chosen by the JVMs (port 0). Each daemon runs in its own process
group, and stopping the cluster ends the group (a worker's executors are its children), even
when the block fails. The daemons' logs are in `cluster.folder` (shown when start-up fails).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine_fixtures import JVM_OPTIONS

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
READY_SECONDS = 90  # the longest a daemon may take to say it is up (JVM start on a busy machine)
STOP_SECONDS = 20


def spark_home() -> Path:
    """The PySpark package folder: it holds bin/spark-class and jars/ (a Spark distribution)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    master_url: str
    worker_memory: str
    worker_cores: int
    workers: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def client_environment(self) -> dict[str, str]:
        """Environment for a pbc process that runs its queries on this cluster: the master,
        executors as small as the workers (one per worker), and loopback addresses."""
        conf = {
            "spark.executor.memory": self.worker_memory,
            "spark.executor.cores": str(self.worker_cores),
            "spark.cores.max": str(self.worker_cores * self.workers),
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
        }
        return {
            "PBC_SPARK_MASTER": self.master_url,
            "PBC_SPARK_CONF": ";".join(f"{k}={v}" for k, v in conf.items()),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": sys.executable,
        }

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.folder.glob("*.log"))
        )


def _daemon_environment(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_DAEMON_MEMORY="256m",  # the master's and workers' own heaps (not the executors')
        SPARK_DAEMON_JAVA_OPTS=JVM_OPTIONS,  # as the tests' driver and executors (engine_fixtures)
        SPARK_WORKER_DIR=str(folder / "work"),
        SPARK_NO_DAEMONIZE="1",
        PYSPARK_PYTHON=sys.executable,
    )
    return env


def _start(folder: Path, name: str, args: list[str]) -> subprocess.Popen[bytes]:
    log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - the daemon writes it until stopped
    try:
        return subprocess.Popen(
            [str(spark_home() / "bin" / "spark-class"), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_daemon_environment(folder),
            start_new_session=True,  # its own process group: stopping it ends its executors too
        )
    finally:
        log.close()


def _log(folder: Path, name: str) -> str:
    return (folder / f"{name}.log").read_text(errors="replace")


def _wait_for(cluster: Cluster, name: str, text: str, process: subprocess.Popen[bytes]) -> None:
    """Until the daemon's log says `text` (or it exits, or READY_SECONDS pass: RuntimeError)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if text in _log(cluster.folder, name):
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"the Spark {name} did not start (waiting for {text!r}):\n{cluster.logs()}")


def stop(cluster: Cluster) -> None:
    """End every daemon's process group (SIGTERM, then SIGKILL after STOP_SECONDS)."""
    for process in cluster.processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in cluster.processes:
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Executors the worker started are in its group; end any left once the worker is gone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def standalone_cluster(
    folder: Path, *, workers: int = 2, worker_memory: str = "512m", worker_cores: int = 1
) -> Iterator[Cluster]:
    """A master and `workers` workers on 127.0.0.1, stopped when the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cluster = Cluster(folder, f"spark://127.0.0.1:{port}", worker_memory, worker_cores, workers)
    try:
        master = _start(
            folder,
            "master",
            [MASTER_CLASS, "--host", "127.0.0.1", "--port", str(port), "--webui-port", "0"],
        )
        cluster.processes.append(master)
        _wait_for(cluster, "master", "I have been elected leader", master)
        # The port it bound (Spark moves on to the next one if another process took it).
        started = re.search(r"Starting Spark master at (spark://\S+)", _log(folder, "master"))
        assert started is not None, cluster.logs()
        cluster.master_url = started.group(1)
        for i in range(workers):
            name = f"worker-{i + 1}"
            worker = _start(
                folder,
                name,
                [WORKER_CLASS, "--host", "127.0.0.1", "--webui-port", "0",
                 "--cores", str(worker_cores), "--memory", worker_memory,
                 "--work-dir", str(folder / "work"), cluster.master_url],
            )  # fmt: skip
            cluster.processes.append(worker)
        for i, worker in enumerate(cluster.processes[1:]):
            _wait_for(cluster, f"worker-{i + 1}", "Successfully registered with master", worker)
        yield cluster
    finally:
        stop(cluster)
