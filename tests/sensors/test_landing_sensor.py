"""The landing sensor on a real lake folder and a real S3 server: requests, run keys, cursor."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from dagster import AssetSpec, Definitions, build_sensor_context, instance_for_test

from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw.events import LANDING_KEY
from data_platform.resources.lake.resource import LakeResource
from data_platform.sensors.landing import EVENTS_ASSETS, build_landing_sensor

START = date(2026, 1, 1)
PARTITIONS = daily_partitions(START)
SENSOR = build_landing_sensor(PARTITIONS)
# The sensor targets assets, so its context needs definitions that hold their keys.
DEFS = Definitions(assets=[AssetSpec(key, partitions_def=PARTITIONS) for key in [LANDING_KEY, *EVENTS_ASSETS]],
                   sensors=[SENSOR])


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> LakeResource:
    if request.param == "local":
        return LakeResource(url=(tmp_path / "lake").as_uri())
    endpoint = request.getfixturevalue("s3_endpoint")
    return LakeResource(url=f"s3://lake/{tmp_path.name}", s3_endpoint_url=endpoint)


@pytest.fixture(scope="module")
def instance() -> Iterator:
    with instance_for_test() as test_instance:
        yield test_instance


def land(lake: LakeResource, day: date, index: int) -> str:
    """A shipper file with one event, as the log shipper would deliver it."""
    event = {"event_id": f"e-{day}-{index}", "ts": f"{day}T12:00:00Z", "user_id": 1, "session_id": "s",
             "event_type": "page_view", "page": "/", "channel": "organic", "experiments": {}, "user_agent": "ua"}
    relative = f"landing/clickstream/date={day.isoformat()}/part-{index:05d}.jsonl.gz"
    lake.write_bytes(relative, gzip.compress((json.dumps(event) + "\n").encode()))
    return relative


def days_of(request) -> list[str]:
    """The partitions a run request covers: its key, or every day of its range."""
    if request.partition_key:
        return [request.partition_key]
    first = date.fromisoformat(request.tags["dagster/asset_partition_range_start"])
    last = date.fromisoformat(request.tags["dagster/asset_partition_range_end"])
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def requested(result) -> list[str]:
    return sorted(day for request in result.run_requests for day in days_of(request))


def tick(instance, lake: LakeResource, cursor: str | None):
    context = build_sensor_context(instance=instance, cursor=cursor, resources={"lake": lake}, definitions=DEFS)
    return SENSOR.evaluate_tick(context)


def test_new_files_request_their_day_and_the_day_before(instance, lake: LakeResource) -> None:
    land(lake, date(2026, 1, 10), 0)
    newest = land(lake, date(2026, 1, 10), 1)
    result = tick(instance, lake, None)
    assert len(result.run_requests) == 1  # neighbouring days: one run over their range
    assert requested(result) == ["2026-01-09", "2026-01-10"]
    assert result.run_requests[0].run_key.startswith("events:2026-01-09..2026-01-10:")
    assert {tuple(k.to_user_string() for k in r.asset_selection) for r in result.run_requests} == {("lake/events", "raw/events")}
    assert result.cursor == newest
    assert [(e.asset_key.to_user_string(), e.partition) for e in result.asset_events] == [("lake/clickstream_landing", "2026-01-10")]

    again = tick(instance, lake, result.cursor)
    assert not again.run_requests and again.skip_message == "no new landing files"
    assert again.cursor in (None, result.cursor)


def test_run_keys_name_the_files_so_a_batch_runs_once(instance, lake: LakeResource) -> None:
    first = land(lake, date(2026, 1, 10), 0)
    keys = sorted(r.run_key for r in tick(instance, lake, None).run_requests)
    assert sorted(r.run_key for r in tick(instance, lake, None).run_requests) == keys  # a retried tick
    land(lake, date(2026, 1, 10), 1)
    later = tick(instance, lake, first)
    assert later.run_requests and not {r.run_key for r in later.run_requests} & set(keys)


def test_only_files_after_the_cursor_count(instance, lake: LakeResource) -> None:
    for index in range(3):
        land(lake, date(2026, 1, 10), index)
    cursor = land(lake, date(2026, 1, 11), 0)
    newer = land(lake, date(2026, 1, 12), 0)
    result = tick(instance, lake, cursor)
    assert requested(result) == ["2026-01-11", "2026-01-12"]
    assert result.cursor == newer


def test_today_and_days_before_the_start_are_not_partitions(instance, lake: LakeResource) -> None:
    today = datetime.now(UTC).date()
    land(lake, START, 0)
    land(lake, today, 0)
    result = tick(instance, lake, None)
    # Two days far apart: two runs, each for one partition.
    assert sorted(r.partition_key for r in result.run_requests) == [START.isoformat(), (today - timedelta(days=1)).isoformat()]


class ListingLake(LakeResource):
    """The real lake, remembering which folders a tick lists."""

    def list_files(self, prefix: str, suffix: str = "") -> list[str]:
        LISTED.append(prefix)
        return super().list_files(prefix, suffix)


LISTED: list[str] = []


def test_s3_listing_starts_at_the_cursors_day(instance, s3_endpoint: str, tmp_path: Path) -> None:
    """Older day folders are never listed again: a tick reads the cursor's day and later ones."""
    lake = ListingLake(url=f"s3://lake/{tmp_path.name}", s3_endpoint_url=s3_endpoint)
    older = [land(lake, date(2026, 1, 9), index) for index in range(3)]
    cursor_day = [land(lake, date(2026, 1, 10), index) for index in range(2)]
    new = land(lake, date(2026, 1, 11), 0)
    LISTED.clear()
    result = tick(instance, lake, cursor_day[-1])
    assert LISTED == ["landing/clickstream/date=2026-01-10", "landing/clickstream/date=2026-01-11"]
    assert result.cursor == new and requested(result) == ["2026-01-10", "2026-01-11"]
    assert lake.list_files_after("landing/clickstream", after=older[-1]) == [*cursor_day, new]