"""Adjacent days of clickstream started at the same moment, in two run processes, still keep one
`event_id` once: the events step's concurrency pool (one slot, the repository's dagster.yaml)
makes the second day wait for the first, whose published file it then sees."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from dagster import DagsterEventType, DagsterInstance

REPO = Path(__file__).resolve().parents[2]
START = date(2026, 5, 1)
DAYS = [START, START + timedelta(days=1)]
TWICE = "dated-on-two-days"
OWN_EVENTS = 300  # the quarantined copy stays well under the malformed-share threshold

# One run of the events step for the day in argv[2], started once the file argv[1] exists.
RUN = """
import os, sys, time
from dagster import AssetSelection, DagsterInstance, materialize
from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw import raw_definitions
from data_platform.resources.environment import build_resources
from data_platform.resources.settings import PlatformSettings

go, day = sys.argv[1], sys.argv[2]
settings = PlatformSettings.from_env()
assets = raw_definitions(daily_partitions(settings.start_date)).assets
print("READY", flush=True)
while not os.path.exists(go):
    time.sleep(0.01)
result = materialize(assets, resources=build_resources(settings), instance=DagsterInstance.get(),
                     selection=AssetSelection.assets(["lake", "events"]), partition_key=day)
sys.exit(0 if result.success else 1)
"""


def line(event_id: str, day: date, hour: int) -> bytes:
    return json.dumps({
        "event_id": event_id, "ts": f"{day}T{hour:02d}:00:00Z", "user_id": 7, "session_id": f"s-{event_id}",
        "event_type": "page_view", "page": "/", "channel": "ads", "experiments": {}, "user_agent": "test",
    }).encode() + b"\n"  # fmt: skip


def test_adjacent_days_started_together_keep_an_event_id_once(make_database, stack_env, tmp_path: Path,
                                                              monkeypatch) -> None:
    lake, home = tmp_path / "lake", tmp_path / "home"
    home.mkdir()
    settings = yaml.safe_load((REPO / "dagster.yaml").read_text())
    assert settings["concurrency"]["pools"]["default_limit"] == 1
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
    for n, day in enumerate(DAYS):  # the same event_id, dated on each day, in each day's folder
        folder = lake / "landing" / "clickstream" / f"date={day}"
        folder.mkdir(parents=True)
        own = b"".join(line(f"own-{n}-{i}", day, 11) for i in range(OWN_EVENTS))
        (folder / "part-0.jsonl.gz").write_bytes(gzip.compress(line(TWICE, day, 10) + own))
    env = {**os.environ, "DAGSTER_HOME": str(home), "PLATFORM_LAKE_URL": lake.as_uri(),
           "PLATFORM_DAGSTER_PG_URL": make_database("pool_dagster"), "PLATFORM_START_DATE": START.isoformat(),
           "PLATFORM_SPARK_MASTER": "local[1]", "PLATFORM_EXECUTOR": "in_process"}  # fmt: skip
    go = tmp_path / "go"
    runs = [subprocess.Popen([sys.executable, "-c", RUN, str(go), day.isoformat()], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for day in DAYS]  # fmt: skip
    for run in runs:
        assert run.stdout.readline().strip() == "READY", run.stderr.read()[-3000:]
    go.touch()  # both days start at the same moment
    for run in runs:
        assert run.wait(timeout=600) == 0, run.stderr.read()[-3000:]

    kept = {day: pq.read_table(lake / "raw" / "events" / f"date={day}" / "part-00000.parquet")["event_id"].to_pylist()
            for day in DAYS}  # fmt: skip
    assert sum(TWICE in ids for ids in kept.values()) == 1, kept
    monkeypatch.setenv("PLATFORM_DAGSTER_PG_URL", env["PLATFORM_DAGSTER_PG_URL"])
    with DagsterInstance.from_config(str(home)) as instance:
        windows = []
        for record in instance.get_run_records():
            events = instance.all_logs(record.dagster_run.run_id, of_type={DagsterEventType.STEP_START,
                                                                           DagsterEventType.STEP_SUCCESS})
            steps = [e.timestamp for e in events if e.step_key == "lake__events"]
            windows.append((min(steps), max(steps)))
    (first_start, first_end), (second_start, _) = sorted(windows)
    assert first_end <= second_start, windows  # one step after the other, never both at once
