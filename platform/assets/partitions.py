"""Daily partitions: a key is the data's UTC date D and its window is [D, D+1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from dagster import DailyPartitionsDefinition


def daily_partitions(start: date) -> DailyPartitionsDefinition:
    """Partitions from `start` up to yesterday: today's data is not complete yet."""
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")


def day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)
