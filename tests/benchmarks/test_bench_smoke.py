"""`python -m benchmarks` at a tiny size on the test stack: every benchmark runs end to end,
the last line is the JSON object, and nothing is left in the stack afterwards."""

from __future__ import annotations

import json

import psycopg
import pytest
import redis

from benchmarks.__main__ import main
from benchmarks.scratch import redis_db_url

KEYS = {
    "warehouse_load_vs_to_sql", "warehouse_load_vs_copy", "redis_vs_loop", "redis_vs_pipeline",
    "lake_vs_pyarrow", "events_per_second", "events_peak_rss_mib", "backfill_partitions_per_minute",
    "backfill_dagster_overhead_s_per_partition", "backfill_events_per_second",
    *(f"backfill_s_per_partition_{phase}" for phase in ("spark", "raw", "summary", "production", "other")),
    "events_vs_minimal_spark", "events_vs_minimal_one_file", "events_vs_duckdb", "events_per_second_local", "events_per_second_cluster",
    "extract_vs_copy", "extract_vs_read_sql",
}  # fmt: skip
TINY = ["--rows", "3000", "--to-sql-rows", "500", "--users", "3000", "--loop-users", "500",
        "--events-scale", "0.05", "--extract-rows", "2000", "--read-sql-rows", "500", "--backfill-days", "2", "--backfill-runs", "1", "--backfill-scale", "0.05", "--runs", "1"]  # fmt: skip


def databases(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


@pytest.mark.slow
def test_every_benchmark_runs_and_leaves_nothing_behind(stack_env, capsys) -> None:
    before = databases(stack_env["PLATFORM_WAREHOUSE_URL"])
    result = main(TINY)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == result
    assert set(result) == KEYS
    assert all(value > 0 for key, value in result.items() if key != "backfill_s_per_partition_other")
    assert databases(stack_env["PLATFORM_WAREHOUSE_URL"]) == before
    assert redis.Redis.from_url(redis_db_url(stack_env["PLATFORM_REDIS_URL"])).dbsize() == 0


def test_scratch_redis_refuses_a_database_in_use(stack_env) -> None:
    from benchmarks.scratch import scratch_redis

    client = redis.Redis.from_url(redis_db_url(stack_env["PLATFORM_REDIS_URL"]))
    client.set("someone_else", "1")
    try:
        with pytest.raises(RuntimeError, match="not empty"), scratch_redis(stack_env["PLATFORM_REDIS_URL"]):
            pass
        assert client.get("someone_else") == b"1"
    finally:
        client.delete("someone_else")
