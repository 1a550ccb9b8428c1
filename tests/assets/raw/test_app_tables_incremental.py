"""Complete incremental extracts of the app DB: snapshot, late commits, hard deletes, lake history,
and the data days a load reports (where corrections belong)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, materialize

from data_platform.assets.partitions import daily_partitions, on_calendar
from data_platform.assets.raw.app_tables import build_app_table_assets
from data_platform.resources.environment import build_resources
from data_platform.resources.settings import PlatformSettings
from data_platform.simulator.appdb import ensure_schema

START = date(2026, 3, 1)
ORDERS = (["lake", "orders"], ["raw", "orders"])


def ts(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour)


class Source:
    def __init__(self, url: str) -> None:
        self.url = url

    def order(self, order_id: int, created: datetime, modified: datetime, status: str = "paid") -> None:
        with psycopg.connect(self.url) as conn:
            conn.execute(
                "INSERT INTO public.orders VALUES (%s, 1, 's', 10.00, 'USD', %s, %s, %s, NULL)"
                " ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, modified_at = EXCLUDED.modified_at",
                (order_id, status, created, modified),
            )

    def delete(self, order_id: int) -> None:
        with psycopg.connect(self.url) as conn:
            conn.execute("DELETE FROM public.orders WHERE order_id = %s", (order_id,))


@pytest.fixture
def shop(make_database, tmp_path: Path, stack_env, monkeypatch):
    env = {
        "PLATFORM_LAKE_URL": (tmp_path / "lake").as_uri(),
        "PLATFORM_WAREHOUSE_URL": make_database("incr_wh"),
        "PLATFORM_APP_DB_URL": make_database("incr_app"),
        "PLATFORM_START_DATE": START.isoformat(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with psycopg.connect(env["PLATFORM_APP_DB_URL"]) as conn:
        ensure_schema(conn)
    instance = DagsterInstance.ephemeral()
    settings = PlatformSettings.from_env()
    assets = on_calendar(daily_partitions(START), build_app_table_assets())

    def load(day: int) -> dict:
        result = materialize(assets, resources=build_resources(settings), instance=instance,
                             selection=AssetSelection.assets(*ORDERS), partition_key=ts(day).date().isoformat())  # fmt: skip
        assert result.success
        event = result.asset_materializations_for_node("raw__orders")[0]
        return {k: v.value for k, v in event.metadata.items()}

    return Source(env["PLATFORM_APP_DB_URL"]), load, env, tmp_path / "lake"


def warehouse(env: dict, query: str) -> list[tuple]:
    with psycopg.connect(env["PLATFORM_WAREHOUSE_URL"]) as conn:
        return conn.execute(query).fetchall()


def lake_day(lake: Path, day: int) -> list[dict]:
    path = lake / "raw" / "orders" / f"date={ts(day).date()}" / "part-00000.parquet"
    return pq.read_table(path).to_pylist()


def test_snapshot_late_commits_hard_deletes_and_data_days(shop) -> None:
    source, load, env, lake = shop
    source.order(1, ts(-40), ts(-40))  # long before the first partition: only the snapshot has it
    source.order(2, ts(1), ts(1))
    assert load(1)["data_days"] == [ts(-40).date().isoformat(), ts(1).date().isoformat()]
    assert {r[0] for r in warehouse(env, "SELECT order_id FROM raw.orders")} == {1, 2}

    source.order(3, ts(1, 23), ts(1, 23))  # committed after day 1 was loaded, stamped 23:00 on day 1
    assert load(2)["data_days"] == [ts(1).date().isoformat()]  # found by day 2's margin
    source.order(2, ts(1), ts(3), status="refunded")  # a refund on day 3 of an order of day 1
    source.order(4, ts(3), ts(3))
    source.delete(1)  # hard-deleted in the source
    metadata = load(3)
    assert metadata["data_days"] == sorted({ts(-40).date().isoformat(), ts(1).date().isoformat(), ts(3).date().isoformat()})
    rows = {r[0]: r[1:] for r in warehouse(env, "SELECT order_id, status, deleted_at FROM raw.orders")}
    assert set(rows) == {1, 2, 3, 4}
    assert rows[1][1] == ts(4, 0)  # marked deleted at the end of the window that found it gone
    assert rows[2][0] == "refunded" and rows[3][1] is None

    assert load(3)["data_days"] == []  # a rerun changes nothing and says so
    kept = lake_day(lake, 1)
    source.order(5, ts(1, 6), ts(1, 6))  # a late row of day 1 found by a rerun of day 1
    load(1)
    again = lake_day(lake, 1)
    assert all(row in again for row in kept)  # what day 1's record held is still there
    assert {r["order_id"] for r in again} - {r["order_id"] for r in kept} == {3, 5}
    load(1)
    assert lake_day(lake, 1) == again  # idempotent
    status_2 = warehouse(env, "SELECT status FROM raw.orders WHERE order_id = 2")
    assert status_2 == [("refunded",)]  # the old day's version never replaces the newer one


def test_materialization_names_its_data_days_for_the_sensor(shop) -> None:
    from data_platform.assets.raw.source_changes import DATA_DAYS

    source, load, _, _ = shop
    source.order(7, ts(2), ts(2))
    assert load(2)[DATA_DAYS] == [ts(2).date().isoformat()]
    assert AssetKey(["raw", "orders"])  # the key the corrections sensor reads
