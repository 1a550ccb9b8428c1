"""A whole platform on simulated sources, and the source data read back independently.

The readers here follow the tables' documented definitions (the SQL models' headers, the
feature query's docstring, the clickstream rules) directly from the sources (landing files,
the app DB, the rates function), never through the platform's own code paths.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql

from data_platform.resources.settings import PlatformSettings

EVENT_TYPES = {"page_view", "add_to_cart", "purchase"}

# The contract's raw tables, for tests that load hand-made rows into a fresh warehouse.
RAW_DDL = [
    "CREATE SCHEMA raw",
    "CREATE TABLE raw.users (user_id bigint, email text, channel text, country text, signup_at timestamptz,"
    " created_at timestamptz, modified_at timestamptz, deleted_at timestamptz)",
    "CREATE TABLE raw.events (event_id text, ts timestamptz, event_date date, user_id bigint, session_id text,"
    " event_type text, page text, channel text, experiments jsonb, user_agent text)",
    "CREATE TABLE raw.orders (order_id bigint, user_id bigint, session_id text, amount numeric(12,2), currency text,"
    " status text, created_at timestamptz, modified_at timestamptz, deleted_at timestamptz)",
    "CREATE TABLE raw.exchange_rates (rate_date date, currency text, usd_per_unit numeric)",
]


class SimulatedPlatform:
    """The whole platform built on its own databases, lake and Redis DB from simulated sources.

    Its PLATFORM_* variables are set only while it builds or runs, never for other tests.
    """

    START = date(2026, 1, 1)
    DAYS = 4

    def __init__(self, env: dict[str, str]) -> None:
        from dagster import DagsterInstance

        self.env = env
        self.lake = Path(env["PLATFORM_LAKE_URL"].removeprefix("file://"))
        self.warehouse_url = env["PLATFORM_WAREHOUSE_URL"]
        self.app_db_url = env["PLATFORM_APP_DB_URL"]
        self.redis_url = env["PLATFORM_REDIS_URL"]
        self.instance = DagsterInstance.ephemeral()

    @contextmanager
    def environment(self) -> Iterator[None]:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in self.env.items():
                patch.setenv(name, value)
            yield

    @property
    def last(self) -> date:
        return self.START + timedelta(days=self.DAYS - 1)

    def materialize(self, first: date, last: date) -> None:
        from data_platform.definitions import build_definitions
        from data_platform.demo import materialize_everything

        with self.environment():
            defs = build_definitions(PlatformSettings.from_env())
            results = materialize_everything(defs, self.instance, first.isoformat(), last.isoformat())
        assert all(result.success for result in results)

    def rows(self, url: str, schema: str, table: str) -> list[tuple]:
        with psycopg.connect(url) as conn:
            query = sql.SQL("SELECT * FROM {} ORDER BY 1, 2").format(sql.Identifier(schema, table))
            return conn.execute(query).fetchall()


def valid_event(line: bytes) -> dict | None:
    """A valid clickstream line, as `assets/raw/clickstream/validate.py` documents it."""
    try:
        obj = json.loads(line.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    strings = ("event_id", "session_id", "page", "channel", "user_agent", "ts", "event_type")
    if any(not isinstance(obj.get(name), str) for name in strings):
        return None
    if not obj["event_id"] or not obj["session_id"] or obj["event_type"] not in EVENT_TYPES:
        return None
    if type(obj.get("user_id")) is not int or not isinstance(obj.get("experiments"), dict):
        return None
    try:
        obj["ts"] = datetime.fromisoformat(obj["ts"].replace("Z", "+00:00"))
    except ValueError:
        return None
    return obj


def landing_events(lake: Path) -> dict[str, dict]:
    """Every valid event in the landing zone, one per event_id."""
    events: dict[str, dict] = {}
    for path in sorted((lake / "landing" / "clickstream").glob("date=*/*.jsonl.gz")):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            event = valid_event(line)
            if event:
                events.setdefault(event["event_id"], event)
    return events


# What a rebuild from scratch is compared on: every table of the contract and the features.
RAW_TABLES = ["users", "orders", "events", "exchange_rates", "nps_responses"]
ANALYTICS_TABLES = ["orders_usd", "daily_revenue", "channel_summary", "experiment_exposures", "ab_test_results"]


def table_rows(url: str, schema: str, table: str) -> list[tuple]:
    """Every row, JSON values as sorted text, so rows compare and hash."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, table))).fetchall()
    plain = [tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row) for row in rows]
    return sorted(plain, key=repr)


def redis_features(url: str) -> tuple[str, dict[str, dict]]:
    client = redis.Redis.from_url(url, decode_responses=True)
    version = client.get("user_features:current")
    keys = client.keys(f"user_features:{version}:*")
    return version, {k: client.hgetall(k) for k in keys if not k.endswith(":__meta")}


@dataclass
class Comparison:
    rows: int  # rows and feature hashes compared
    differing: dict[str, int]  # per table (and "redis"): rows on one side only
    details: dict[str, dict]  # a few differing rows of each side, per table
    live_version: str | None
    scratch_version: str | None


def compare_platforms(live: dict[str, str], scratch: dict[str, str]) -> Comparison:
    """Every contract table and the served Redis features of two platforms, row for row."""
    differing: dict[str, int] = defaultdict(int)
    compared, details = 0, {}
    for schema, tables, db in (("raw", RAW_TABLES, "PLATFORM_WAREHOUSE_URL"),
                               ("analytics", ANALYTICS_TABLES, "PLATFORM_WAREHOUSE_URL"),
                               ("serving", ["channel_summary"], "PLATFORM_APP_DB_URL")):  # fmt: skip
        for table in tables:
            mine, theirs = table_rows(live[db], schema, table), table_rows(scratch[db], schema, table)
            assert mine, f"{schema}.{table} is empty"
            differing[f"{schema}.{table}"] = len(set(mine) ^ set(theirs)) + abs(len(mine) - len(theirs))
            compared += max(len(mine), len(theirs))
            if differing[f"{schema}.{table}"]:
                details[f"{schema}.{table}"] = {"live only": sorted(set(mine) - set(theirs), key=repr)[:5],
                                                "rebuild only": sorted(set(theirs) - set(mine), key=repr)[:5]}
    live_version, live_features = redis_features(live["PLATFORM_REDIS_URL"])
    scratch_version, scratch_features = redis_features(scratch["PLATFORM_REDIS_URL"])
    compared += len(scratch_features)
    differing["redis"] = sum(live_features.get(k) != v for k, v in scratch_features.items()) + len(
        set(live_features) ^ set(scratch_features)
    )
    return Comparison(compared, dict(differing), details, live_version, scratch_version)
