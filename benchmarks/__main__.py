"""`python -m benchmarks`: every benchmark on the local stack, a table, then one JSON line.

Reads the stack's PLATFORM_* variables from `.env` (written by `data-platform services up`).
Sizes default to the published ones; smaller ones exist for the smoke test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import time
from collections.abc import Sequence

import redis

from benchmarks import (
    app_extract,
    backfill,
    day_cost,
    events_engines,
    lake_write,
    raw_events,
    redis_features,
    warehouse_load,
)
from benchmarks.data import order_lines
from benchmarks.harness import RUNS_VARIABLE, Row, summary, table
from benchmarks.s3_server import s3_server
from benchmarks.scratch import (
    SCRATCH_REDIS_DB,
    database_creator_url,
    redis_db_url,
    scratch_database,
    scratch_lake,
    scratch_redis,
)
from data_platform.resources.settings import PlatformSettings, load_env_file

GROUPS = ("warehouse", "extract", "redis", "lake", "events", "backfill", "day_cost")
# Run only when asked (`--only day_cost`): it loads a week at scale 1 and 52 weeks of history.
DEFAULT_GROUPS = tuple(g for g in GROUPS if g != "day_cost")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="warehouse and lake rows")
    parser.add_argument("--to-sql-rows", type=int, default=30_000, help="rows of the to_sql comparison")
    parser.add_argument("--users", type=int, default=1_000_000, help="Redis feature hashes")
    parser.add_argument("--loop-users", type=int, default=50_000, help="users of the HSET-loop comparison")
    parser.add_argument("--events-scale", type=float, default=50, help="simulator scale of the events day")
    parser.add_argument("--extract-rows", type=int, default=1_000_000, help="app DB rows of the COPY comparison")
    parser.add_argument("--read-sql-rows", type=int, default=200_000, help="app DB rows of the read_sql comparison")
    parser.add_argument("--backfill-days", type=int, default=30)
    parser.add_argument("--backfill-scale", type=float, default=1)
    parser.add_argument("--backfill-runs", type=int, default=3, help="single-run backfills the days split into")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measured call (median, min–max)")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=set(DEFAULT_GROUPS),
                        help=f"comma-separated groups to run, of {','.join(GROUPS)} (default: all but day_cost)")
    args = parser.parse_args(argv)
    if unknown := args.only - set(GROUPS):
        parser.error(f"unknown groups {sorted(unknown)}; choose from {','.join(GROUPS)}")
    return args


def run_all(args: argparse.Namespace, settings: PlatformSettings) -> tuple[list[Row], str]:
    rows: list[Row] = []
    pickles = ""
    data = order_lines(args.rows) if args.only & {"warehouse", "lake"} else None
    if "warehouse" in args.only:
        with scratch_database(settings.warehouse_url) as url:
            rows += warehouse_load.run(url, data, args.to_sql_rows)
    if "extract" in args.only:
        with scratch_database(settings.warehouse_url) as app:
            rows += app_extract.run(app, args.extract_rows, args.read_sql_rows)
    if "redis" in args.only:
        with scratch_redis(settings.redis_url) as client:
            rows += redis_features.run(client, redis_features.feature_rows(args.users), args.loop_users)
    if "lake" in args.only:
        with scratch_lake() as lake:
            rows.append(lake_write.bench_vs_pyarrow(lake, data))
        with s3_server() as endpoint:
            pickles = lake_write.pickle_table(lake_write.compare_with_pickle(endpoint, data))
    del data
    if "events" in args.only:
        with scratch_database(settings.warehouse_url) as wh, scratch_database(settings.warehouse_url) as app, \
                scratch_lake() as lake:  # fmt: skip
            rows.append(raw_events.run(wh, app, lake.as_uri(), args.events_scale))
            rows += events_engines.run(lake, raw_events.DAY)
    if "backfill" in args.only:
        with scratch_database(settings.warehouse_url) as wh, scratch_database(settings.warehouse_url) as app, \
                scratch_lake() as lake, scratch_redis(settings.redis_url):  # fmt: skip
            # Every role's URL on the scratch databases (`.env` names the stack's own ones).
            env = {"PLATFORM_WAREHOUSE_URL": wh, "PLATFORM_WAREHOUSE_TRANSFORM_URL": wh,
                   "PLATFORM_WAREHOUSE_ANALYST_URL": wh, "PLATFORM_APP_DB_URL": app, "PLATFORM_APP_SERVER_URL": app,
                   "PLATFORM_LAKE_URL": lake.as_uri(), "PLATFORM_REDIS_URL": redis_db_url(settings.redis_url)}  # fmt: skip
            rows.append(backfill.run(env, app, lake.as_uri(), args.backfill_days, args.backfill_runs,
                                     args.backfill_scale))
    if "day_cost" in args.only:
        with scratch_database(settings.warehouse_url) as week, scratch_database(settings.warehouse_url) as year, \
                scratch_database(settings.warehouse_url) as app, scratch_lake() as lake, \
                scratch_redis(settings.redis_url):  # fmt: skip
            env = {"PLATFORM_WAREHOUSE_URL": week, "PLATFORM_WAREHOUSE_TRANSFORM_URL": week,
                   "PLATFORM_WAREHOUSE_ANALYST_URL": week, "PLATFORM_APP_DB_URL": app, "PLATFORM_APP_SERVER_URL": app,
                   "PLATFORM_LAKE_URL": lake.as_uri(), "PLATFORM_REDIS_URL": redis_db_url(settings.redis_url)}  # fmt: skip
            year_redis = redis_db_url(settings.redis_url, SCRATCH_REDIS_DB - 1)
            rows += day_cost.run(env, year, year_redis, app, lake.as_uri())
            redis.Redis.from_url(year_redis).flushdb()
    return rows, pickles


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    args = parse(argv)
    load_env_file()
    settings = PlatformSettings.from_env()
    if missing := settings.missing():
        raise SystemExit(f"not set: {missing}; run `data-platform services up` first")
    settings = dataclasses.replace(settings, warehouse_url=database_creator_url(settings.warehouse_url))
    for noisy in ("dagster", "werkzeug", "py4j"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started, runs_before = time.perf_counter(), os.environ.get(RUNS_VARIABLE)
    os.environ[RUNS_VARIABLE] = str(args.runs)  # child processes inherit it
    try:
        rows, pickles = run_all(args, settings)
    finally:
        if runs_before is None:
            del os.environ[RUNS_VARIABLE]
        else:
            os.environ[RUNS_VARIABLE] = runs_before
    print(table(rows))
    if pickles:
        print(f"\n{pickles}")
    print(f"\nall benchmarks: {time.perf_counter() - started:.0f}s on {os.cpu_count()} cores")
    result = summary(rows)
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
