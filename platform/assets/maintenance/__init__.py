"""Maintenance: warehouse retention into the lake's archive, and instance cleanup."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, Definitions, ScheduleDefinition, define_asset_job

from data_platform.assets.maintenance.cleanup import instance_cleanup
from data_platform.assets.maintenance.retention import warehouse_archive


def maintenance_definitions() -> Definitions:
    """Assets, jobs and schedules of the maintenance group (schedules start STOPPED).

    Retention works on whole days of the warehouse rather than on partitions: it also
    removes days older than the first partition, which a partition range could not name.
    """
    retention_job = define_asset_job(
        "warehouse_retention_job", selection=[warehouse_archive.key],
        tags={"platform/warehouse": "heavy"},  # queued behind other heavy warehouse runs
        description="Archive warehouse days past their retention to the lake, then delete them.",
    )  # fmt: skip
    cleanup_job = define_asset_job(
        "instance_cleanup_job", selection=[instance_cleanup.key],
        description="Delete old runs and logs; keep DAGSTER_HOME and the data folder under budget.",
    )  # fmt: skip
    schedules = [
        ScheduleDefinition(name="warehouse_retention_schedule", job=retention_job, cron_schedule="0 3 * * *",
                           execution_timezone="UTC", default_status=DefaultScheduleStatus.STOPPED),
        ScheduleDefinition(name="instance_cleanup_schedule", job=cleanup_job, cron_schedule="30 3 * * *",
                           execution_timezone="UTC", default_status=DefaultScheduleStatus.STOPPED),
    ]  # fmt: skip
    return Definitions(
        assets=[warehouse_archive, instance_cleanup], jobs=[retention_job, cleanup_job], schedules=schedules
    )
