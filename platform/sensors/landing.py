"""React to new clickstream files: the job Airflow's ExternalTaskSensor did, without waiting.

The cursor is the last landing path seen; listings start after it (S3 `StartAfter`), so a
tick never re-lists the whole landing zone. A new file in folder D can change partition D
and, holding late events, partition D-1: both are requested, with run keys so the same set
of files is processed once.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import date, timedelta

from dagster import (
    AssetKey,
    AssetMaterialization,
    DailyPartitionsDefinition,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from data_platform.assets.raw.events import LANDING_KEY, LANDING_PREFIX
from data_platform.resources.lake import LakeResource

EVENTS_ASSETS = [AssetKey(["lake", "events"]), AssetKey(["raw", "events"])]
_FOLDER = re.compile(r"date=(\d{4}-\d{2}-\d{2})/")


def affected_days(paths: list[str]) -> dict[date, list[str]]:
    """Partitions a batch of new landing files can change: their folder's day and the day before."""
    by_day: dict[date, list[str]] = defaultdict(list)
    for path in paths:
        match = _FOLDER.search(path)
        if not match:
            continue
        folder = date.fromisoformat(match.group(1))
        for day in (folder - timedelta(days=1), folder):
            by_day[day].append(path)
    return by_day


def build_landing_sensor(partitions: DailyPartitionsDefinition) -> SensorDefinition:
    @sensor(
        name="clickstream_landing_sensor",
        description="Requests raw.events for the days that new clickstream landing files affect.",
        asset_selection=EVENTS_ASSETS,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.STOPPED,
    )
    def clickstream_landing_sensor(context: SensorEvaluationContext, lake: LakeResource) -> SensorResult:
        new_files = lake.list_files_after(LANDING_PREFIX, after=context.cursor or "", suffix=".jsonl.gz")
        if not new_files:
            return SensorResult(skip_reason="no new landing files")
        existing = set(partitions.get_partition_keys())
        requests, landed = [], []
        for day, files in sorted(affected_days(new_files).items()):
            key = day.isoformat()
            if key not in existing:
                continue  # before the first partition, or today (not complete yet)
            digest = hashlib.sha1("\n".join(sorted(files)).encode()).hexdigest()[:16]
            requests.append(RunRequest(run_key=f"events:{key}:{digest}", partition_key=key, asset_selection=EVENTS_ASSETS))
        for folder in sorted({m.group(1) for p in new_files if (m := _FOLDER.search(p))}):
            if folder in existing:
                landed.append(AssetMaterialization(asset_key=LANDING_KEY, partition=folder,
                                                   metadata={"new_files": sum(folder in p for p in new_files)}))
        return SensorResult(run_requests=requests, asset_events=landed, cursor=new_files[-1])

    return clickstream_landing_sensor
