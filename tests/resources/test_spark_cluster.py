"""The clickstream step on a real two-worker Spark standalone cluster equals the `local[*]` run.

The executors are separate JVMs with their own Python workers: they read the landing files
and write the day by lake URI, with no file of the driver's machine in between.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dagster import build_init_resource_context

from data_platform.assets.raw.clickstream.job import DayTargets, process_clickstream
from data_platform.local.spark_cluster import standalone_cluster
from data_platform.resources.spark import spark_resource
from data_platform.resources.spark_classes import archive_path

pytestmark = pytest.mark.slow
DAY = date(2026, 1, 10)


def lines(folder: int, file: int) -> list[bytes]:
    """Valid events (some repeated across files, some late), malformed lines and a NUL."""
    out = []
    for i in range(300):
        hour = (i * 7 + file) % 24
        ts = f"2026-01-{10 + folder:02d}T{hour:02d}:00:00Z" if i % 10 else f"2026-01-{9 + folder:02d}T{hour:02d}:30:00Z"
        event = {"event_id": f"e{folder}-{(i + 100 * file) % 700}", "ts": ts, "user_id": i % 37, "session_id": f"s{i % 50}",
                 "event_type": "page_view", "page": f"/p/{i}", "channel": "organic",
                 "experiments": {"exp_a": "control" if i % 2 else "treatment"}, "user_agent": "UA"}  # fmt: skip
        if i % 97 == 5:
            event["user_id"] = str(i)
        if i % 89 == 7:
            event["page"] = "/a\u0000b"
        text = json.dumps(event).encode()
        out.append(text[: len(text) // 2] if i % 83 == 3 else text)
    return out


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    root = tmp_path_factory.mktemp("cluster-landing")
    files: tuple[list[str], list[str]] = ([], [])
    for folder in (0, 1):
        path = root / f"date=2026-01-{10 + folder}"
        path.mkdir()
        for file in range(4):
            data = gzip.compress(b"\n".join(lines(folder, file)) + b"\n")
            target = path / f"part-{file:05d}.jsonl.gz"
            target.write_bytes(data[: len(data) * 2 // 3] if (folder, file) == (0, 3) else data)
            files[folder].append(f"file://{target}")
    return files


# One-core, 1 GiB workers: executors must fit them; the driver listens on loopback only.
CLUSTER_SETTINGS = {"spark.executor.memory": "512m", "spark.driver.host": "127.0.0.1",
                    "spark.driver.bindAddress": "127.0.0.1"}  # fmt: skip


def run(master: str, landing: tuple[list[str], list[str]], out: Path) -> tuple[list, list, dict]:
    resource = spark_resource(master, None if master.startswith("local") else CLUSTER_SETTINGS)
    resource.setup_for_execution(build_init_resource_context())
    try:
        targets = DayTargets(events=f"file://{out}/events", quarantine=f"file://{out}/quarantine")
        result = process_clickstream(resource.spark_session, DAY, *landing, targets)
    finally:
        resource.spark_session.stop()
    return pq.read_table(out / "events").to_pylist(), pq.read_table(out / "quarantine").to_pylist(), result.counts


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("spark-cluster")
    with standalone_cluster(root, workers=2) as master:
        yield master, root


def test_the_cluster_run_equals_the_local_run(cluster: tuple[str, Path], landing, tmp_path: Path) -> None:
    master, root = cluster
    local = run("local[*]", landing, tmp_path / "local")
    remote = run(master, landing, tmp_path / "cluster")
    events, quarantine, counts = remote
    assert (events, quarantine, counts) == local
    assert counts["events_written"] == len(events) > 300 and counts["malformed"] == len(quarantine) > 10
    assert {row["reason"] for row in quarantine} >= {"NUL in page", "user_id not an integer", "truncated gzip"}
    # Both workers ran an executor for the job: each has the application in its work directory.
    for worker in ("worker-0", "worker-1"):
        assert list((root / worker).glob("app-*/*/stderr")), worker


def cluster_jvms(root: Path) -> dict[str, Path]:
    """The workers' and executors' processes (by role): those started in or for `root`."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            inside = str(root) in command or str((proc / "cwd").resolve()).startswith(str(root))
        except OSError:  # a process that ended meanwhile
            continue
        if inside and "java" in command:
            role = "executor" if "CoarseGrainedExecutorBackend" in command else "worker"
            found[f"{role} {proc.name}"] = proc
    return found


def test_the_workers_and_executors_map_the_installations_class_archive(cluster: tuple[str, Path]) -> None:
    """Their classes come parsed from the archive `make install` wrote, as the driver's do."""
    master, root = cluster
    resource = spark_resource(master, CLUSTER_SETTINGS)
    resource.setup_for_execution(build_init_resource_context())
    try:
        assert resource.spark_session.range(100).repartition(4).count() == 100
        jvms = cluster_jvms(root)
        assert sorted(name.split()[0] for name in jvms) == ["executor", "executor", "worker", "worker"]
        for name, proc in jvms.items():
            assert str(archive_path()) in (proc / "maps").read_text(), f"{name} loads its classes from the jars"
    finally:
        resource.spark_session.stop()
