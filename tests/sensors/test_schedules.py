"""The daily schedule asks for yesterday's partition only: Airflow's catchup=False."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dagster import build_schedule_context, instance_for_test

from data_platform.assets.partitions import daily_partitions
from data_platform.sensors.schedules import build_schedules

START = date(2026, 1, 1)


def schedules() -> dict:
    return {schedule.name: schedule for schedule in build_schedules(daily_partitions(START))}


def tick(name: str, at: datetime) -> list:
    with instance_for_test() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=at)
        return list(schedules()[name].evaluate_tick(context).run_requests or [])


def test_a_tick_on_day_two_requests_day_one() -> None:
    requests = tick("daily_sources_schedule", datetime(2026, 1, 2, 1, 0, tzinfo=UTC))
    assert [request.partition_key for request in requests] == ["2026-01-01"]


def test_a_late_start_asks_only_for_the_newest_partition() -> None:
    # Switched on a month after the start date: no catch-up of the 30 days before.
    requests = tick("daily_sources_schedule", datetime(2026, 2, 1, 1, 0, tzinfo=UTC))
    assert [request.partition_key for request in requests] == ["2026-01-31"]


def test_schedules_run_at_one_utc_and_start_stopped() -> None:
    for schedule in schedules().values():
        assert schedule.cron_schedule == "0 1 * * *"
        assert schedule.execution_timezone in (None, "UTC")
        assert schedule.default_status.value == "STOPPED"


def test_the_nps_refresh_is_unpartitioned() -> None:
    requests = tick("nps_refresh_schedule", datetime(2026, 1, 2, 1, 0, tzinfo=UTC))
    assert len(requests) == 1 and requests[0].partition_key is None
