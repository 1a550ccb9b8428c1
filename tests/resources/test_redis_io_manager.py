"""The Redis IO manager: a returned table becomes one published version per partition."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
import redis
from dagster import AssetIn, DailyPartitionsDefinition, asset, materialize

from data_platform.resources.redis.io_manager import RedisVersionedIOManager
from data_platform.resources.redis.pointers import read_current, read_version
from data_platform.resources.redis.store import RedisResource

DAYS = DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")
RANGE = {"dagster/asset_partition_range_start": "2026-01-02", "dagster/asset_partition_range_end": "2026-01-03"}
META = {"redis_namespace": "scores", "redis_id_column": "user_id", "partition_column": "day"}


def table_for(first: date, last: date) -> pa.Table:
    days = [first, first, last]
    return pa.table({"day": pa.array(days, pa.date32()), "user_id": [1, 2, 1], "score": [10, 20, 30],
                     "label": ["a", "b", None]})  # fmt: skip


@asset(partitions_def=DAYS, io_manager_key="redis_io_manager", metadata=META)
def scores(context) -> pa.Table:
    window = context.partition_time_window
    return table_for(window.start.date(), date.fromordinal(window.end.date().toordinal() - 1))


SEEN: list[pa.Table] = []


@asset(partitions_def=DAYS, ins={"scores": AssetIn()})
def reader(scores: pa.Table) -> None:
    SEEN.append(scores)


@pytest.fixture
def url(stack_env: dict[str, str]) -> str:
    url = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/11"
    redis.Redis.from_url(url).flushdb()
    return url


def test_each_partition_is_a_version_and_the_newest_is_current(url: str) -> None:
    resources = {"redis_io_manager": RedisVersionedIOManager(redis=RedisResource(url=url))}
    result = materialize([scores, reader], resources=resources, tags=RANGE)
    assert result.success
    client = redis.Redis.from_url(url)
    assert read_version(client, "scores", "2026-01-02") == {
        1: {"score": "10", "label": "a"}, 2: {"score": "20", "label": "b"}
    }  # fmt: skip
    assert read_current(client, "scores") == ("2026-01-03", {1: {"score": "30", "label": ""}})
    metadata = result.asset_materializations_for_node("scores")[0].metadata
    assert metadata["versions_written"].value == "2026-01-02, 2026-01-03"
    assert metadata["keys_written"].value == 3
    # A downstream asset reads the versions back (as text: Redis keeps strings).
    assert sorted(SEEN[-1].to_pylist(), key=lambda r: (r["day"], r["user_id"])) == [
        {"day": "2026-01-02", "user_id": 1, "score": "10", "label": "a"},
        {"day": "2026-01-02", "user_id": 2, "score": "20", "label": "b"},
        {"day": "2026-01-03", "user_id": 1, "score": "30", "label": ""},
    ]


def test_missing_layout_metadata_is_a_clear_error(url: str) -> None:
    @asset(partitions_def=DAYS, io_manager_key="redis_io_manager")
    def unnamed() -> pa.Table:
        return table_for(date(2026, 1, 2), date(2026, 1, 2))

    resources = {"redis_io_manager": RedisVersionedIOManager(redis=RedisResource(url=url))}
    result = materialize([unnamed], resources=resources, partition_key="2026-01-02", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "needs metadata ['redis_namespace', 'redis_id_column', 'partition_column']" in str(
        failure.step_failure_data.error
    )
