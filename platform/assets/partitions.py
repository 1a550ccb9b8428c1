"""Daily partitions: a key is the data's UTC date D and its window is [D, D+1)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    DailyPartitionsDefinition,
    map_asset_specs,
)


def daily_partitions(start: date) -> DailyPartitionsDefinition:
    """Partitions from `start` up to yesterday: today's data is not complete yet."""
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def partition_days(context: AssetExecutionContext) -> list[date]:
    """The days of the run's partition, or of its partition range in a single-run backfill."""
    window = context.partition_time_window
    first, last = window.start.date(), window.end.date()
    return [first + timedelta(days=i) for i in range((last - first).days)]


def on_calendar(
    partitions: DailyPartitionsDefinition, assets: Iterable[AssetsDefinition | AssetSpec]
) -> list[AssetsDefinition | AssetSpec]:
    """The daily assets on the platform's partitions.

    Daily assets are declared at module level without partitions: the first day comes from
    the settings (`PLATFORM_START_DATE`), read when definitions are built, never at import.
    Each layer's builder puts its daily assets on the calendar here, in one place.
    """
    return list(map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=partitions), assets))
