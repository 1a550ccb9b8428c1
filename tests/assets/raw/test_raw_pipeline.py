"""The whole raw layer on simulated sources: lake → warehouse, checked against the sources."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from dagster import AssetSelection, DagsterInstance, materialize
from psycopg import sql

from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw import build_raw_assets
from data_platform.resources.environment import build_resources
from data_platform.resources.settings import PlatformSettings
from data_platform.simulator.run import SimulationConfig, simulate

START, DAYS = date(2026, 1, 1), 4
LAST = date(2026, 1, DAYS)
RAW_TABLES = ("users", "orders", "nps_responses", "exchange_rates", "events")
EVENT_TYPES = {"page_view", "add_to_cart", "purchase"}


class Pipeline:
    def __init__(self, lake: Path, warehouse_url: str, app_db_url: str) -> None:
        self.lake, self.warehouse_url, self.app_db_url = lake, warehouse_url, app_db_url
        settings = PlatformSettings.from_env()
        self.assets = build_raw_assets(daily_partitions(settings.start_date))
        self.resources = build_resources(settings)
        self.instance = DagsterInstance.ephemeral()

    def run(self, first: date, last: date, selection: AssetSelection | None = None) -> None:
        result = materialize(
            self.assets,
            resources=self.resources,
            instance=self.instance,
            selection=selection or AssetSelection.all() - AssetSelection.assets(["lake", "nps_responses"], ["raw", "nps_responses"]),
            tags={"dagster/asset_partition_range_start": first.isoformat(),
                  "dagster/asset_partition_range_end": last.isoformat()},
        )
        assert result.success

    def refresh_nps(self) -> None:
        assert materialize(self.assets, resources=self.resources, instance=self.instance,
                           selection=AssetSelection.assets(["lake", "nps_responses"], ["raw", "nps_responses"])).success

    def rows(self, url: str, schema: str, table: str) -> list[tuple]:
        with psycopg.connect(url) as conn:
            query = sql.SQL("SELECT * FROM {} ORDER BY 1, 2").format(sql.Identifier(schema, table))
            return conn.execute(query).fetchall()

    def snapshot(self) -> dict[str, list[tuple]]:
        return {table: self.rows(self.warehouse_url, "raw", table) for table in RAW_TABLES}


@pytest.fixture(scope="module")
def pipeline(make_database, tmp_path_factory: pytest.TempPathFactory, stack_env) -> Iterator[Pipeline]:
    lake = tmp_path_factory.mktemp("raw-lake")
    warehouse_url, app_db_url = make_database("raw_wh"), make_database("raw_app")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PLATFORM_LAKE_URL", lake.as_uri())
        env.setenv("PLATFORM_WAREHOUSE_URL", warehouse_url)
        env.setenv("PLATFORM_APP_DB_URL", app_db_url)
        env.setenv("PLATFORM_START_DATE", START.isoformat())
        env.setenv("PLATFORM_SPARK_MASTER", "local[2]")
        simulate(SimulationConfig(start=START, days=DAYS, scale=0.1), app_db_url, lake.as_uri())
        built = Pipeline(lake, warehouse_url, app_db_url)
        built.run(START, LAST)
        built.refresh_nps()
        yield built


def valid_event(line: str) -> dict | None:
    """DESIGN's definition of a valid line, written independently of the Spark code."""
    try:
        obj = json.loads(line)
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
        obj["_date"] = datetime.fromisoformat(obj["ts"].replace("Z", "+00:00")).date()
    except ValueError:
        return None
    return obj


def independent_events(lake: Path) -> dict[date, set[str]]:
    by_day: dict[date, set[str]] = defaultdict(set)
    for path in sorted((lake / "landing" / "clickstream").glob("date=*/*.jsonl.gz")):
        for raw in gzip.decompress(path.read_bytes()).splitlines():
            event = valid_event(raw.decode("utf-8", errors="strict"))
            if event:
                by_day[event["_date"]].add(event["event_id"])
    return by_day


def test_events_equal_an_independent_count_of_landing_files(pipeline: Pipeline) -> None:
    expected = independent_events(pipeline.lake)
    with psycopg.connect(pipeline.warehouse_url) as conn:
        rows = conn.execute("SELECT event_date, event_id FROM raw.events").fetchall()
    actual: dict[date, set[str]] = defaultdict(set)
    for event_date, event_id in rows:
        actual[event_date].add(event_id)
    assert len(rows) == sum(len(ids) for ids in actual.values())  # one row per event_id
    for offset in range(DAYS):
        day = date(2026, 1, 1 + offset)
        assert actual[day] == expected[day], day
    assert len(rows) > 1000


def test_app_tables_equal_the_app_db(pipeline: Pipeline) -> None:
    for table in ("users", "orders"):
        assert pipeline.rows(pipeline.warehouse_url, "raw", table) == pipeline.rows(pipeline.app_db_url, "public", table)
    assert pipeline.rows(pipeline.warehouse_url, "raw", "nps_responses") == pipeline.rows(pipeline.app_db_url, "public", "nps_responses")


def test_exchange_rates_one_row_per_currency_per_day(pipeline: Pipeline) -> None:
    with psycopg.connect(pipeline.warehouse_url) as conn:
        rows = conn.execute("SELECT rate_date, currency, usd_per_unit FROM raw.exchange_rates ORDER BY 1, 2").fetchall()
    assert len(rows) == 2 * DAYS
    assert {r[1] for r in rows} == {"KRW", "USD"}
    assert all(r[2] == 1 for r in rows if r[1] == "USD")
    assert all(0.0006 < float(r[2]) < 0.0009 for r in rows if r[1] == "KRW")


def test_quarantine_holds_the_malformed_lines(pipeline: Pipeline) -> None:
    import pyarrow.parquet as pq

    quarantined = sum(
        pq.read_table(path).num_rows for path in (pipeline.lake / "quarantine" / "clickstream").glob("date=*/*.parquet")
    )
    assert quarantined > 0


def test_reruns_and_an_old_backfill_change_nothing(pipeline: Pipeline) -> None:
    before = pipeline.snapshot()
    for _ in range(3):
        pipeline.run(date(2026, 1, 2), date(2026, 1, 2))
    pipeline.run(START, START)  # a backfill of day 1 after day 4
    pipeline.refresh_nps()
    assert pipeline.snapshot() == before
