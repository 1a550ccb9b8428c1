"""Downstream layers follow their upstreams: when every upstream partition of D is there and
one of them changed, D runs (Airflow's TriggerDagRunOperator, expressed as data).

`AutomationCondition.eager()` only considers the newest partition; this condition also
reacts to backfilled and reloaded history (e.g. day D rebuilt when late events land).
"""

from datetime import timedelta

from dagster import (
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
)

# How far back a reloaded upstream partition still pulls its dependents along.
LOOKBACK = timedelta(days=35)

UPSTREAM_READY = (
    AutomationCondition.in_latest_time_window(lookback_delta=LOOKBACK)
    & AutomationCondition.any_deps_updated().since_last_handled()
    & ~AutomationCondition.any_deps_missing()
    & ~AutomationCondition.any_deps_in_progress()
    & ~AutomationCondition.in_progress()
).with_label("upstream partitions ready and updated")

FOLLOWERS = AssetSelection.groups("summary", "production")


def follow_upstream(spec: AssetSpec) -> AssetSpec:
    """Give summary and production assets the condition; leave the rest to schedules and sensors."""
    if spec.group_name in ("summary", "production") and spec.automation_condition is None:
        return spec.replace_attributes(automation_condition=UPSTREAM_READY)
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
