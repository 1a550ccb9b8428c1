"""React to new clickstream files: the job Airflow's ExternalTaskSensor did, without waiting.

The cursor is the last landing path seen; a tick lists only the cursor's day folder and
later ones, so it never re-lists the whole landing zone. The shipper names files `date=D/part-NNNNN`,
so new files always sort after old ones. A new file in folder D can change partition D
and, holding late events, partition D-1: both are requested, with run keys so the same
set of files is processed once even if a tick is retried. Neighbouring days go into one
run over their partition range (the single-run backfill policy): one Spark start, not two.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import date, timedelta

import dagster as dg

from data_platform.assets.raw.events import LANDING_KEY, LANDING_PREFIX, LANDING_SUFFIX
from data_platform.resources.lake.resource import LakeResource

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"

SENSOR_NAME = "clickstream_landing_sensor"
EVENTS_ASSETS = [dg.AssetKey(["lake", "events"]), dg.AssetKey(["raw", "events"])]
_FOLDER = re.compile(r"date=(\d{4}-\d{2}-\d{2})/")


def folder_day(path: str) -> date | None:
    """The day of a landing file's `date=YYYY-MM-DD/` folder, None for anything else."""
    match = _FOLDER.search(path)
    return date.fromisoformat(match.group(1)) if match else None


def affected_days(paths: list[str]) -> dict[date, list[str]]:
    """Partitions a batch of new landing files can change: their folder's day and the day before."""
    by_day: dict[date, list[str]] = defaultdict(list)
    for path in paths:
        folder = folder_day(path)
        if folder is not None:
            for day in (folder - timedelta(days=1), folder):
                by_day[day].append(path)
    return dict(by_day)


def run_key(first: date, last: date, files: list[str]) -> str:
    """The same files for the same days give the same key, so Dagster launches them once."""
    digest = hashlib.sha1("\n".join(sorted(set(files))).encode()).hexdigest()[:16]
    return f"events:{first.isoformat()}..{last.isoformat()}:{digest}"


def contiguous(days: list[date]) -> list[list[date]]:
    """Sorted days split into runs of consecutive days."""
    groups: list[list[date]] = []
    for day in sorted(days):
        if groups and day - groups[-1][-1] == timedelta(days=1):
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups


def events_request(days: list[date], files: list[str]) -> dg.RunRequest:
    """One run for consecutive days: a partition key for one day, a partition range for more."""
    first, last = days[0], days[-1]
    key = run_key(first, last, files)
    if first == last:
        return dg.RunRequest(run_key=key, partition_key=first.isoformat(), asset_selection=EVENTS_ASSETS)
    keys = dg.PartitionKeyRange(first.isoformat(), last.isoformat())
    return dg.RunRequest(run_key=key, asset_selection=EVENTS_ASSETS, tags={RANGE_START: keys.start, RANGE_END: keys.end})


def landing_requests(
    new_files: list[str], partitions: dg.DailyPartitionsDefinition
) -> tuple[list[dg.RunRequest], list[dg.AssetMaterialization]]:
    """Run requests for the affected days that are partitions, and the landed folders to record.

    Days before the first partition and today (not a partition until it is over) are left
    out: today's files are picked up again as late-arrival input of tomorrow's folder.
    """
    affected = {day: files for day, files in affected_days(new_files).items()
                if partitions.has_partition_key(day.isoformat())}
    requests = [events_request(days, [f for day in days for f in affected[day]]) for days in contiguous(list(affected))]
    counts: dict[date, int] = defaultdict(int)
    for path in new_files:
        if (folder := folder_day(path)) is not None:
            counts[folder] += 1
    landed = [
        dg.AssetMaterialization(asset_key=LANDING_KEY, partition=day.isoformat(), metadata={"new_files": count})
        for day, count in sorted(counts.items())
        if partitions.has_partition_key(day.isoformat())
    ]
    return requests, landed


def build_landing_sensor(partitions: dg.DailyPartitionsDefinition, interval_seconds: int = 30) -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR_NAME,
        description="Requests raw.events for the days that new clickstream landing files affect.",
        asset_selection=EVENTS_ASSETS,
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.STOPPED,
    )
    def clickstream_landing_sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
        new_files = lake.list_files_after(LANDING_PREFIX, after=context.cursor or "", suffix=LANDING_SUFFIX)
        if not new_files:
            return dg.SensorResult(skip_reason="no new landing files")
        requests, landed = landing_requests(new_files, partitions)
        context.log.info(f"{len(new_files)} new landing files → {len(requests)} run requests")
        return dg.SensorResult(run_requests=requests, asset_events=landed, cursor=new_files[-1])

    return clickstream_landing_sensor
