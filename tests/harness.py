"""A whole platform on simulated sources, and the source data read back independently.

The readers here follow DESIGN.md's definitions directly from the sources (landing files,
the app DB, the rates function), never through the platform's own code paths.
"""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from data_platform.resources.settings import PlatformSettings

EVENT_TYPES = {"page_view", "add_to_cart", "purchase"}


class SimulatedPlatform:
    """The whole platform built on its own databases, lake and Redis DB from simulated sources."""

    START = date(2026, 1, 1)
    DAYS = 4

    def __init__(self, lake: Path, warehouse_url: str, app_db_url: str, redis_url: str) -> None:
        from dagster import DagsterInstance

        from data_platform.definitions import build_definitions

        self.lake, self.warehouse_url, self.app_db_url, self.redis_url = lake, warehouse_url, app_db_url, redis_url
        self.defs = build_definitions(PlatformSettings.from_env())
        self.instance = DagsterInstance.ephemeral()

    @property
    def last(self) -> date:
        return self.START + timedelta(days=self.DAYS - 1)

    def materialize(self, first: date, last: date) -> None:
        from data_platform.demo import materialize_everything

        results = materialize_everything(self.defs, self.instance, first.isoformat(), last.isoformat())
        assert all(result.success for result in results)

    def rows(self, url: str, schema: str, table: str) -> list[tuple]:
        with psycopg.connect(url) as conn:
            query = sql.SQL("SELECT * FROM {} ORDER BY 1, 2").format(sql.Identifier(schema, table))
            return conn.execute(query).fetchall()


def valid_event(line: bytes) -> dict | None:
    """DESIGN's definition of a valid clickstream line."""
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
