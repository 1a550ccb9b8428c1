"""A whole platform on simulated sources, and the source data read back independently.

The readers here follow the tables' documented definitions (the SQL models' headers, the
feature query's docstring, the clickstream rules) directly from the sources (landing files,
the app DB, the rates function), never through the platform's own code paths.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
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
