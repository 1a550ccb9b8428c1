"""The code location: assembles assets, checks, resources, sensors and schedules."""

from dagster import AssetChecksDefinition, Definitions, in_process_executor, map_asset_specs

from data_platform.assets.maintenance import build_maintenance_definitions
from data_platform.assets.partitions import daily_partitions
from data_platform.assets.production import build_production_assets, rollback_user_features_job
from data_platform.assets.raw import build_raw_assets
from data_platform.assets.summary import build_summary_assets
from data_platform.resources.environment import build_resources
from data_platform.resources.settings import PlatformSettings
from data_platform.sensors.automation import build_automation_sensor, follow_upstream
from data_platform.sensors.incidents import build_incident_sensor
from data_platform.sensors.landing import build_landing_sensor
from data_platform.sensors.schedules import build_schedules


def build_definitions(settings: PlatformSettings) -> Definitions:
    """Every layer, its checks, resources, sensors and schedules for one environment."""
    partitions = daily_partitions(settings.start_date)
    layers = [
        *build_raw_assets(partitions),
        *build_summary_assets(partitions),
        *build_production_assets(partitions),
    ]
    checks = [d for d in layers if isinstance(d, AssetChecksDefinition)]
    maintenance, maintenance_jobs, maintenance_schedules = build_maintenance_definitions()
    return Definitions(
        assets=[*map_asset_specs(follow_upstream, [d for d in layers if d not in checks]), *maintenance],
        asset_checks=checks,
        jobs=[rollback_user_features_job, *maintenance_jobs],
        resources=build_resources(settings),
        executor=in_process_executor if settings.executor == "in_process" else None,
        schedules=[*build_schedules(partitions), *maintenance_schedules],
        sensors=[
            build_landing_sensor(partitions, settings.sensor_interval_seconds),
            build_incident_sensor(
                settings.ui_url, settings.slack_webhook_url, settings.sensor_interval_seconds
            ),
            build_automation_sensor(settings.sensor_interval_seconds),
        ],
    )


defs = build_definitions(PlatformSettings.from_env())
