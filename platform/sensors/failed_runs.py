"""Runs that failed for good are asked for again, later.

Dagster's run retries (three, dagster.yaml) start a failed run again at once: a run that
failed because PostgreSQL or Redis was down for a minute can use them all up before the
server is back. Nothing else asks for its partitions again (a schedule asks only for the
newest day, the landing sensor only for new files), so they, and every day downstream of
them, would stay missing until someone noticed. This sensor finds runs that failed in the
last day with no retry of their own coming, whose assets were not materialized since, and
asks for the same assets and days again after a pause that grows with each attempt
(5, 10, 20 min), at most `MAX_ATTEMPTS` times per original run; its requests say which run
they repeat (`platform/retry_of`). A run that keeps failing for a data problem stops there,
its incident reports written.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from data_platform.sensors.corrections import RANGE_END, RANGE_START
from data_platform.sensors.incidents import planned_assets

SENSOR_NAME = "failed_partition_sensor"
RETRY_OF, ATTEMPT = "platform/retry_of", "platform/attempt"
PARENT = "dagster/parent_run_id"  # what Dagster's own run retries tag a retry with
MAX_ATTEMPTS = 3
PAUSE_SECONDS = 300  # doubled for each attempt already made
LOOK_BACK_SECONDS = 24 * 3600


def _partition_tags(tags: dict[str, str]) -> dict[str, str]:
    keep = ("dagster/partition", RANGE_START, RANGE_END)
    return {k: v for k, v in tags.items() if k in keep}


def _materialized_since(instance, keys: list[AssetKey], tags: dict[str, str], since: float) -> bool:
    """Every asset of the run has a materialization of its day(s) (a range: its first and last)
    after `since`."""
    days = [tags[k] for k in ("dagster/partition", RANGE_START, RANGE_END) if k in tags] or [None]
    for key in keys:
        for day in days:
            found = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=key, asset_partitions=[day] if day else None), limit=1
            ).records
            if not found or found[0].timestamp <= since:
                return False
    return True


def evaluate(context: SensorEvaluationContext, now: float | None = None) -> SensorResult:
    instance, now = context.instance, now or time.time()
    since = datetime.fromtimestamp(now - LOOK_BACK_SECONDS, UTC)
    requests = []
    for record in instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.FAILURE], updated_after=since)):
        run = record.dagster_run
        keys = sorted(planned_assets(instance, run)[0], key=AssetKey.to_user_string)
        origin, attempt = run.tags.get(RETRY_OF, run.run_id), int(run.tags.get(ATTEMPT, "0")) + 1
        ended = record.end_time or record.update_timestamp.timestamp()
        checks_only = run.asset_check_selection and not run.asset_selection  # e.g. freshness checks
        if not keys or checks_only or attempt > MAX_ATTEMPTS or now - ended < PAUSE_SECONDS * 2 ** (attempt - 1):
            continue
        if instance.get_run_records(RunsFilter(tags={PARENT: run.run_id}), limit=1):
            continue  # Dagster's own run retry took it over
        partitions = _partition_tags(run.tags)
        if _materialized_since(instance, keys, partitions, ended):
            continue
        # One request per (original run, attempt): the run key keeps a later tick from repeating it.
        tags = {**partitions, RETRY_OF: origin, ATTEMPT: str(attempt)}
        requests.append(RunRequest(asset_selection=keys, tags=tags, run_key=f"{origin}:{attempt}"))
    if not requests:
        return SensorResult(skip_reason="no run failed for good waiting to be asked again")
    return SensorResult(run_requests=requests)


def build_failed_partition_sensor(interval_seconds: int = 60) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        description="Asks again, after a growing pause, for the partitions of runs that failed for good.",
        asset_selection=AssetSelection.all(),
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def failed_partition_sensor(context: SensorEvaluationContext) -> SensorResult:
        return evaluate(context)

    return failed_partition_sensor
