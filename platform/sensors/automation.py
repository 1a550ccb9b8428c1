"""Downstream layers follow their upstreams: when every upstream partition of D is there and
one of them changed, D runs (Airflow's TriggerDagRunOperator, expressed as data).

`AutomationCondition.eager()` only considers the newest partition; this condition reacts to
any partition, whatever its age (no lookback window: a correction to a day months old
still rebuilds it). For partitioned assets, updates of raw tables are ignored here: the
corrections sensor maps each raw change to the data days it belongs to (an order's
creation day, not the day it was refunded) and requests exactly those partitions.
"""

from dagster import (
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)

FOLLOWER_GROUPS = ("summary", "production")
FOLLOWERS = AssetSelection.groups(*FOLLOWER_GROUPS)
RAW = AssetSelection.groups("raw")


def upstream_ready(updated: AutomationCondition) -> AutomationCondition:
    return (
        updated.since_last_handled()
        & ~AutomationCondition.any_deps_missing()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    )


UPSTREAM_READY = upstream_ready(AutomationCondition.any_deps_updated()).with_label(
    "upstream partitions ready and updated"
)
SUMMARY_UPSTREAM_READY = upstream_ready(AutomationCondition.any_deps_updated().ignore(RAW)).with_label(
    "upstream partitions ready and a non-raw one updated (raw changes: corrections_sensor)"
)


def follow_upstream(spec: AssetSpec) -> AssetSpec:
    """Give summary and production assets the condition; leave the rest to schedules and sensors."""
    if spec.group_name in FOLLOWER_GROUPS and spec.automation_condition is None:
        condition = SUMMARY_UPSTREAM_READY if spec.partitions_def else UPSTREAM_READY
        return spec.replace_attributes(automation_condition=condition)
    return spec


SENSOR_NAME = "follow_upstream_sensor"


def build_automation_sensor(interval_seconds: int = 30) -> AutomationConditionSensorDefinition:
    """The sensor that evaluates the conditions; it runs as soon as the daemon starts."""
    return AutomationConditionSensorDefinition(
        SENSOR_NAME,
        target=FOLLOWERS,
        description="Materializes summary and production partitions once their upstream partitions update.",
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=interval_seconds,
    )
