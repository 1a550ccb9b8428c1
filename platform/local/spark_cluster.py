"""A Spark standalone cluster on 127.0.0.1 from the installed pyspark: one master, N workers.

Each process is started with `spark-class` (the wheel ships no `sbin/start-*.sh`), has its
own work and log directory, and is stopped by its PID.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyspark

from data_platform.local.processes import free_port, stop_group
from data_platform.resources.spark_classes import archive_options

SPARK_HOME = Path(pyspark.__file__).parent
STOP_GRACE_S = 5
START_TIMEOUT_S = 180


def _start(args: list[str], log: Path) -> subprocess.Popen:
    # The master and workers map the installation's class-data archive too (they load a
    # subset of the driver's classes from the same jars): the cluster is up ~4 s sooner.
    env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "SPARK_LOG_DIR": str(log.parent),
           "SPARK_DAEMON_JAVA_OPTS": " ".join(archive_options())}  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen([str(SPARK_HOME / "bin" / "spark-class"), *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def _alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as answer:
            import json

            return sum(1 for w in json.load(answer).get("workers", []) if w.get("state") == "ALIVE")
    except OSError:
        return -1


@contextmanager
def standalone_cluster(root: Path, workers: int = 2) -> Iterator[str]:
    """Start a master and `workers` one-core workers under `root`; yield the master URL."""
    root.mkdir(parents=True, exist_ok=True)
    port, ui_port = free_port(), free_port()
    master_url = f"spark://127.0.0.1:{port}"
    processes = [_start(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                         "--webui-port", str(ui_port)], root / "master.log")]  # fmt: skip
    try:
        for i in range(workers):
            work = root / f"worker-{i}"
            work.mkdir(parents=True)
            processes.append(_start(["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                                     "--cores", "1", "--memory", "1g", "--work-dir", str(work),
                                     "--webui-port", str(free_port()), master_url], work / "worker.log"))  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while _alive_workers(ui_port) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError(f"Spark cluster did not start; logs in {root}")
            time.sleep(1)
        yield master_url
    finally:
        # Each process of this throwaway cluster used up the default 30 s grace after TERM
        # (90 s per cluster); its work directories are discarded, so a short grace is enough.
        for process in reversed(processes):
            stop_group(process, grace_s=STOP_GRACE_S)
