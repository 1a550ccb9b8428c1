"""Schedules for the daily sources: at 01:00 UTC, yesterday's partition, and nothing older.

Like Airflow's `catchup=False`, a tick asks only for its newest partition (a run on the 2nd
processes the 1st); the past is filled by a backfill, not by the schedule. NPS responses
are a small full-refresh table without partitions: refreshed at the same hour.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DailyPartitionsDefinition,
    DefaultScheduleStatus,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

DAILY_SOURCES = AssetSelection.assets(
    ["lake", "users"], ["raw", "users"],
    ["lake", "orders"], ["raw", "orders"],
    ["lake", "exchange_rates"], ["raw", "exchange_rates"],
)  # fmt: skip
FULL_REFRESH_SOURCES = AssetSelection.assets(["lake", "nps_responses"], ["raw", "nps_responses"])


def build_schedules(partitions: DailyPartitionsDefinition) -> list[ScheduleDefinition]:
    daily_sources = define_asset_job(
        "daily_sources",
        selection=DAILY_SOURCES,
        partitions_def=partitions,
        description="The app DB tables and exchange rates for one day, into the lake and warehouse.",
    )
    nps_refresh = define_asset_job(
        "nps_refresh",
        selection=FULL_REFRESH_SOURCES,
        description="The NPS responses table, copied whole into the lake and warehouse.",
    )
    return [
        build_schedule_from_partitioned_job(
            daily_sources,
            name="daily_sources_schedule",
            description="01:00 UTC: the previous day's partition of the app DB tables and rates.",
            hour_of_day=1,
            minute_of_hour=0,
            default_status=DefaultScheduleStatus.STOPPED,
        ),
        ScheduleDefinition(
            name="nps_refresh_schedule",
            job=nps_refresh,
            cron_schedule="0 1 * * *",
            execution_timezone="UTC",
            description="01:00 UTC: a full refresh of the NPS responses.",
            default_status=DefaultScheduleStatus.STOPPED,
        ),
    ]
