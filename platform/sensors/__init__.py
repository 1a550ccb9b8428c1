"""Sensors and schedules: reactive triggers, incident reports, and the daily source schedule."""

from dagster import DailyPartitionsDefinition, Definitions

from data_platform.resources.settings import PlatformSettings
from data_platform.sensors.automation import build_automation_sensor
from data_platform.sensors.corrections import build_corrections_sensor
from data_platform.sensors.drift import build_drift_sensor
from data_platform.sensors.failed_runs import build_failed_partition_sensor
from data_platform.sensors.incidents import build_incident_sensor
from data_platform.sensors.landing import build_landing_sensor
from data_platform.sensors.run_watchdog import build_run_watchdog
from data_platform.sensors.schedules import build_schedules


def automation_definitions(settings: PlatformSettings, partitions: DailyPartitionsDefinition) -> Definitions:
    """Every schedule and sensor: they tick at the deployment's interval, and incident
    reports link to its UI, so this builder takes the settings as well as the partitions."""
    interval = settings.sensor_interval_seconds
    return Definitions(
        schedules=build_schedules(partitions),
        sensors=[
            build_landing_sensor(partitions, interval),
            build_incident_sensor(settings.ui_url, interval),
            build_automation_sensor(interval),
            build_corrections_sensor(interval),
            build_drift_sensor(),
            build_run_watchdog(interval),
            build_failed_partition_sensor(),
        ],
    )
