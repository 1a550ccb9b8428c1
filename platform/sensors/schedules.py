"""Schedules for the daily sources: at 01:00 UTC, yesterday's partition, and nothing older.

Like Airflow's `catchup=False`, a tick asks only for its newest partition (a run on the 2nd
processes the 1st); the past is filled by a backfill, not by the schedule.
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


def build_schedules(partitions: DailyPartitionsDefinition) -> list[ScheduleDefinition]:
    daily_sources = define_asset_job(
        "daily_sources",
        selection=DAILY_SOURCES,
        partitions_def=partitions,
        description="The app DB tables and exchange rates for one day, into the lake and warehouse.",
    )
    return [
        build_schedule_from_partitioned_job(
            daily_sources,
            name="daily_sources_schedule",
            hour_of_day=1,
            minute_of_hour=0,
            default_status=DefaultScheduleStatus.STOPPED,
        )
    ]
