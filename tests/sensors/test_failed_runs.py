"""Runs that failed for good are asked for again after a growing pause, a few times, and not once
their days are materialized or Dagster's own run retry took them over."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    DailyPartitionsDefinition,
    asset,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from data_platform.sensors import failed_runs
from data_platform.sensors.failed_runs import (
    ATTEMPT,
    MAX_ATTEMPTS,
    PAUSE_SECONDS,
    RETRY_OF,
    evaluate,
)

DAY = "2026-03-04"
BROKEN = Path("/nonexistent")  # replaced per test: the asset fails while this file exists


@asset(partitions_def=DailyPartitionsDefinition(start_date="2026-03-01"), key=["raw", "flaky"])
def flaky() -> None:
    """Fails while the server it needs is 'down' (a file says so)."""
    if BROKEN.exists():
        raise ConnectionError("the warehouse at postgresql://… is unreachable")


def run(instance: DagsterInstance, tags: dict[str, str] | None = None):
    return materialize([flaky], instance=instance, partition_key=DAY, tags=tags or {}, raise_on_error=False)


def tick(instance: DagsterInstance, now: float):
    return evaluate(build_sensor_context(instance=instance), now=now).run_requests or []


@pytest.fixture
def down(tmp_path: Path, monkeypatch) -> Path:
    flag = tmp_path / "down"
    flag.touch()
    monkeypatch.setattr(f"{__name__}.BROKEN", flag)
    return flag


def ended(instance: DagsterInstance, run_id: str) -> float:
    return instance.get_run_record_by_id(run_id).end_time


def test_a_failed_day_is_asked_again_after_the_pause_until_it_is_materialized(down: Path) -> None:
    with instance_for_test() as instance:
        failed = run(instance)
        assert not failed.success
        at = ended(instance, failed.run_id)
        assert tick(instance, at + PAUSE_SECONDS - 1) == []  # the server gets time to come back
        [request] = tick(instance, at + PAUSE_SECONDS + 1)
        assert [k.path for k in request.asset_selection] == [["raw", "flaky"]]
        assert request.tags == {"dagster/partition": DAY, RETRY_OF: failed.run_id, ATTEMPT: "1"}
        down.unlink()  # back: the day is materialized (here by hand, as any run could)
        assert run(instance).success
        assert tick(instance, at + PAUSE_SECONDS + 1) == []


def test_each_attempt_waits_twice_as_long_and_the_last_is_not_repeated(down: Path) -> None:
    with instance_for_test() as instance:
        second = run(instance, {RETRY_OF: "origin", ATTEMPT: "1"})
        at = ended(instance, second.run_id)
        assert tick(instance, at + PAUSE_SECONDS + 1) == []  # the second attempt waits 2 x the pause
        [request] = tick(instance, at + 2 * PAUSE_SECONDS + 1)
        assert request.tags[RETRY_OF] == "origin" and request.tags[ATTEMPT] == "2"
        last = run(instance, {RETRY_OF: "origin", ATTEMPT: str(MAX_ATTEMPTS)})
        later = tick(instance, ended(instance, last.run_id) + 100 * PAUSE_SECONDS)
        assert {r.tags[ATTEMPT] for r in later} == {"2"}  # the last attempt's failure is final


def test_a_run_dagster_retries_itself_is_left_to_that_retry(down: Path) -> None:
    with instance_for_test() as instance:
        failed = run(instance)
        run(instance, {"dagster/parent_run_id": failed.run_id})  # Dagster's run retry of it
        requests = tick(instance, ended(instance, failed.run_id) + 2 * PAUSE_SECONDS)
        assert failed.run_id not in {r.tags[RETRY_OF] for r in requests}


def test_the_sensor_is_part_of_the_platform() -> None:
    from data_platform.definitions import defs

    assert defs.get_sensor_def(failed_runs.SENSOR_NAME).default_status.value == "RUNNING"
