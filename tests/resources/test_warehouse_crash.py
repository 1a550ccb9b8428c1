"""Partition writes under process death and concurrency, with real processes on real PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from data_platform.resources.warehouse.resource import WarehouseResource

DAY = datetime(2026, 1, 1, tzinfo=UTC)

# A writer process: replaces day 2026-01-01 with `rows` rows tagged `tag`. Just before COMMIT
# (old rows deleted, new rows loaded) it prints "LOADED" and waits until the file `release`
# exists ("-" for no wait), at most two minutes.
WRITER = """
import os, sys, time
from datetime import UTC, datetime, timedelta
import pyarrow as pa
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.engine import WarehouseEngine

url, schema, tag, rows, release = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
day = datetime(2026, 1, 1, tzinfo=UTC)

def loaded(conn):
    print("LOADED", flush=True)
    deadline = time.monotonic() + 120
    while release != "-" and not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)

resource = WarehouseResource(url=url)
engine = WarehouseEngine(resource.get_connection, before_commit=loaded)
data = pa.table({
    "id": pa.array(range(rows), pa.int64()),
    "ts": pa.array([day + timedelta(seconds=i) for i in range(rows)], pa.timestamp("us", "UTC")),
    "tag": [tag] * rows,
})
engine.write_partition(schema, "events", data, "ts", day, day + timedelta(days=1))
print("COMMITTED", flush=True)
"""


def start_writer(url: str, schema: str, tag: str, rows: int, release: str = "-") -> subprocess.Popen:
    args = [sys.executable, "-c", WRITER, url, schema, tag, str(rows), release]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(proc: subprocess.Popen, expected: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == expected:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"writer exited {proc.returncode}: {proc.stderr.read()}")
    raise AssertionError(f"writer never printed {expected}")


def tags(warehouse: WarehouseResource, schema: str) -> dict[str, int]:
    rows = warehouse.engine().read(schema, "events").to_pandas()
    return rows.groupby("tag").size().to_dict()


def seed(warehouse: WarehouseResource, schema: str, rows: int) -> None:
    data = pa.table({
        "id": pa.array(range(rows), pa.int64()),
        "ts": pa.array([DAY + timedelta(minutes=i) for i in range(rows)], pa.timestamp("us", "UTC")),
        "tag": ["old"] * rows,
    })  # fmt: skip
    warehouse.engine().write_partition(schema, "events", data, "ts", DAY, DAY + timedelta(days=1))


def waiting_for_lock(warehouse: WarehouseResource) -> int:
    """Backends of the warehouse database blocked on an advisory lock right now."""
    with warehouse.get_connection() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
        return conn.execute(query).fetchone()[0]


def test_kill_between_delete_and_commit_keeps_old_rows(
    warehouse: WarehouseResource, schema: str, tmp_path: Path
) -> None:
    seed(warehouse, schema, 30)
    writer = start_writer(warehouse.url, schema, "new", 500, release=str(tmp_path / "never"))
    try:
        wait_for_line(writer, "LOADED")
        assert tags(warehouse, schema) == {"old": 30}  # other readers still see the old rows
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == -signal.SIGKILL
    assert tags(warehouse, schema) == {"old": 30}
    # The dead writer's lock went with its transaction: the next write goes through.
    rerun = start_writer(warehouse.url, schema, "rerun", 20)
    assert rerun.wait(timeout=60) == 0, rerun.stderr.read()
    assert tags(warehouse, schema) == {"rerun": 20}


def test_concurrent_writers_of_one_partition_never_duplicate(
    warehouse: WarehouseResource, schema: str, tmp_path: Path
) -> None:
    seed(warehouse, schema, 10)
    release = tmp_path / "release"
    first = start_writer(warehouse.url, schema, "first", 300, release=str(release))
    wait_for_line(first, "LOADED")  # the first holds the table's write lock from here to COMMIT
    second = start_writer(warehouse.url, schema, "second", 200)
    deadline = time.monotonic() + 60
    while not waiting_for_lock(warehouse) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert waiting_for_lock(warehouse) == 1  # the second writer is inside its write, blocked
    release.touch()
    assert first.wait(timeout=60) == 0, first.stderr.read()
    assert second.wait(timeout=60) == 0, second.stderr.read()
    assert tags(warehouse, schema) == {"second": 200}
    ids = warehouse.engine().read(schema, "events").column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 200
