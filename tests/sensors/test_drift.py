"""The drift sensor: a built day of daily_revenue that no longer matches raw is rebuilt and reported.

Two simulated days are loaded and summarised for real (raw loads, dbt). Then an order of the
first day is refunded in `raw.orders` behind the platform's back, as a correction whose signal
was lost would leave it: the sensor names exactly that day, with the figures the raw layer
gives (computed here independently from the app DB's orders and the warehouse's rates).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from dagster import AssetKey, AssetSelection, DagsterInstance, build_sensor_context, materialize

from data_platform.definitions import build_definitions
from data_platform.resources.settings import PlatformSettings
from data_platform.sensors.drift import SENSOR_NAME
from data_platform.simulator.run import SimulationConfig, simulate

START = date(2026, 4, 1)
DAYS = [START, START + timedelta(days=1)]
ORDERS_USD = AssetKey(["analytics", "orders_usd"])
LOADED = AssetSelection.assets(
    ["lake", "orders"], ["raw", "orders"], ["lake", "exchange_rates"], ["raw", "exchange_rates"],
    ORDERS_USD, ["analytics", "daily_revenue"],
)  # fmt: skip


@pytest.fixture
def shop(make_database, stack_env, tmp_path: Path, monkeypatch):
    env = {
        "PLATFORM_LAKE_URL": (tmp_path / "lake").as_uri(), "PLATFORM_WAREHOUSE_URL": make_database("drift_wh"),
        "PLATFORM_APP_DB_URL": make_database("drift_app"), "PLATFORM_START_DATE": START.isoformat(),
        "PLATFORM_EXECUTOR": "in_process",
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    simulate(SimulationConfig(start=START, days=len(DAYS), scale=0.2), env["PLATFORM_APP_DB_URL"], env["PLATFORM_LAKE_URL"])
    defs = build_definitions(PlatformSettings.from_env())
    instance = DagsterInstance.ephemeral()
    for day in DAYS:
        result = materialize(defs.assets, resources=defs.resources, instance=instance, selection=LOADED,
                             partition_key=day.isoformat(), raise_on_error=False)  # fmt: skip
        assert result.success
    return env, defs, instance, tmp_path / "lake"


def tick(defs, instance):
    with build_sensor_context(instance=instance, definitions=defs, resources=defs.resources) as context:
        return defs.get_sensor_def(SENSOR_NAME).evaluate_tick(context)


def test_a_day_drifted_from_raw_is_rebuilt_and_reported(shop) -> None:
    env, defs, instance, lake = shop
    assert not tick(defs, instance).run_requests  # freshly built: nothing drifted
    with psycopg.connect(env["PLATFORM_WAREHOUSE_URL"]) as conn:
        order_id, amount, currency = conn.execute(
            "SELECT order_id, amount, currency FROM raw.orders WHERE status = 'paid' AND deleted_at IS NULL"
            " AND (created_at AT TIME ZONE 'UTC')::date = %s ORDER BY order_id LIMIT 1", (START,),
        ).fetchone()  # fmt: skip
        conn.execute("UPDATE raw.orders SET status = 'refunded', modified_at = modified_at + interval '1 day'"
                     " WHERE order_id = %s", (order_id,))  # fmt: skip
        rate = conn.execute("SELECT usd_per_unit FROM raw.exchange_rates WHERE rate_date = %s AND currency = %s",
                            (START, currency)).fetchone()[0]  # fmt: skip
        before = conn.execute("SELECT refunded_usd FROM analytics.daily_revenue WHERE order_date = %s", (START,)).fetchone()[0]
    with psycopg.connect(env["PLATFORM_APP_DB_URL"]) as conn:
        refunded = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM public.orders WHERE status = 'refunded' AND deleted_at IS NULL"
            " AND currency = %s AND (created_at AT TIME ZONE 'UTC')::date = %s", (currency, START),
        ).fetchone()[0]  # fmt: skip
    result = tick(defs, instance)
    assert [(r.partition_key, list(r.asset_selection)) for r in result.run_requests] == [(START.isoformat(), [ORDERS_USD])]
    [report_path] = list(lake.glob("incidents/date=*/drift-*.json"))
    report = json.loads(report_path.read_text())
    assert list(report["days"]) == [START.isoformat()]
    sides = report["days"][START.isoformat()]
    assert sides["table"]["refunded_usd"] == float(before)
    assert sides["raw"]["refunded_usd"] == pytest.approx(float(before + round(amount * rate, 2)), abs=0.011)
    if currency == "USD":  # the app DB agrees on the native sum (the simulated refunds plus this one)
        assert sides["raw"]["refunded_usd"] == pytest.approx(float(refunded + amount), abs=0.011)

    assert materialize(defs.assets, resources=defs.resources, instance=instance, partition_key=START.isoformat(),
                       selection=AssetSelection.assets(ORDERS_USD, ["analytics", "daily_revenue"])).success  # fmt: skip
    assert not tick(defs, instance).run_requests  # rebuilt: the day matches raw again


def test_an_empty_warehouse_has_nothing_to_compare(make_database, stack_env) -> None:
    from data_platform.resources.warehouse.resource import WarehouseResource
    from data_platform.sensors.drift import drifted_days

    assert drifted_days(WarehouseResource(url=make_database("drift_empty"))) == {}
