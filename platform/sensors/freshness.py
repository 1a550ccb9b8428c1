"""Freshness as Dagster means it: yesterday's partition of every daily asset by a deadline.

`build_time_partition_freshness_checks` gives each daily asset a `freshness_check` (the
newest complete partition must exist once the deadline cron has ticked, 03:00 UTC by
default, `PLATFORM_FRESHNESS_DEADLINE_CRON`); its sensor evaluates them, and the UI shows
them on each asset. A failed check is an incident like a failed run: `freshness_incident_sensor`
writes a report to the lake's `incidents/` for every failed evaluation.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

from dagster import (
    AssetCheckKey,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetsDefinition,
    DefaultSensorStatus,
    Definitions,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SupersessionWarning,
    TimeWindowPartitionsDefinition,
    build_sensor_for_freshness_checks,
    build_time_partition_freshness_checks,
    sensor,
)
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.settings import PlatformSettings

# Dagster suggests FreshnessPolicy instead; time-partition checks state "partition D by 03:00"
# exactly, and their evaluations are events the incident sensor can read.
warnings.filterwarnings("ignore", message=".*freshness_checks.*superseded", category=SupersessionWarning)

CHECK_NAME = "freshness_check"
DEFAULT_DEADLINE_CRON = "0 3 * * *"
CHECKED_GROUPS = ("raw", "summary", "production")
INCIDENT_SENSOR = "freshness_incident_sensor"


def daily_assets(assets: list) -> list[AssetsDefinition]:
    """The time-partitioned assets of the data layers (maintenance has no daily deadline)."""
    return [
        a for a in assets
        if isinstance(a, AssetsDefinition) and a.is_executable
        and isinstance(a.partitions_def, TimeWindowPartitionsDefinition)
        and all(a.group_names_by_key[k] in CHECKED_GROUPS for k in a.keys)
    ]  # fmt: skip


def freshness_definitions(layers: Definitions, settings: PlatformSettings) -> Definitions:
    """A freshness check per daily asset of `layers`, their sensor and the incident sensor."""
    checks = build_freshness_checks(list(layers.assets or []), settings.freshness_deadline_cron)
    return Definitions(asset_checks=checks, sensors=build_freshness_sensors(checks, settings.sensor_interval_seconds))


def build_freshness_checks(assets: list, deadline_cron: str = DEFAULT_DEADLINE_CRON) -> list[AssetChecksDefinition]:
    return list(build_time_partition_freshness_checks(
        assets=daily_assets(assets), deadline_cron=deadline_cron, timezone="UTC", severity=AssetCheckSeverity.ERROR,
    ))  # fmt: skip


def is_freshness(checks: AssetChecksDefinition) -> bool:
    """Freshness checks are evaluated by their sensor, never as part of a data run."""
    return all(key.name == CHECK_NAME for key in checks.check_keys)


def build_freshness_sensors(checks: list[AssetChecksDefinition], interval_seconds: int = 30) -> list[SensorDefinition]:
    return [
        build_sensor_for_freshness_checks(
            freshness_checks=checks, name="freshness_checks_sensor", default_status=DefaultSensorStatus.RUNNING,
        ),  # fmt: skip
        build_freshness_incident_sensor([k for c in checks for k in c.check_keys], interval_seconds),
    ]


def incident(record) -> dict:
    """The report of one failed freshness evaluation (same place and shape as a failed run's)."""
    evaluation = record.event.dagster_event.event_specific_data
    return {
        "kind": "freshness",
        "run_id": record.run_id,
        "asset": record.key.asset_key.to_user_string(),
        "check": record.key.name,
        "description": evaluation.description,
        "severity": evaluation.severity.value,
        "failed_at": datetime.fromtimestamp(record.event.timestamp, UTC).isoformat(timespec="seconds"),
    }


def report_path(report: dict) -> str:
    asset = report["asset"].replace("/", "__")
    return f"incidents/date={report['failed_at'][:10]}/freshness-{asset}-{report['run_id']}.json"


def build_freshness_incident_sensor(check_keys: list[AssetCheckKey], interval_seconds: int = 30) -> SensorDefinition:
    @sensor(
        name=INCIDENT_SENSOR,
        description="Writes an incident report to the lake for every failed freshness check.",
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def freshness_incident_sensor(context: SensorEvaluationContext, lake: LakeResource) -> SensorResult:
        seen = json.loads(context.cursor) if context.cursor else {}  # check → newest execution id reported
        written = 0
        for key in check_keys:
            name = key.to_user_string()
            failed = context.instance.event_log_storage.get_asset_check_execution_history(
                key, limit=100, status={AssetCheckExecutionRecordStatus.FAILED}
            )
            for record in sorted((r for r in failed if r.id > seen.get(name, 0) and r.event), key=lambda r: r.id):
                report = incident(record)
                lake.write_bytes(report_path(report), json.dumps(report, indent=2).encode())
                seen[name], written = record.id, written + 1
        return SensorResult(skip_reason=None if written else "no failed freshness check", cursor=json.dumps(seen))

    return freshness_incident_sensor
