"""A raw merge killed after its COMMIT, before Dagster records its materialization, still
rebuilds the days it changed: the run watchdog finds its worker gone and fails the run, and
the merge's announcement (an observation written before it) stands in for the lost
materialization once the run is over.

The days expected are read from the app DB, independently of the platform: the creation days
of the orders modified on the killed load's day.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    build_sensor_context,
    materialize,
)

from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw import raw_definitions
from data_platform.definitions import build_definitions
from data_platform.resources.settings import PlatformSettings
from data_platform.simulator.run import SimulationConfig, simulate

START = date(2026, 2, 1)
DAYS = [START + timedelta(days=n) for n in range(3)]
KILLED_DAY = DAYS[-1]
ORDERS_USD = AssetKey(["analytics", "orders_usd"])

# A run process that loads one day of orders and dies (SIGKILL) the moment the warehouse
# write has committed, before the step can report its output.
KILLED_LOAD = """
import os, signal, sys
from dagster import AssetSelection, DagsterInstance, materialize
from data_platform.definitions import build_definitions
from data_platform.resources.settings import PlatformSettings
from data_platform.resources.warehouse.io_manager import WarehouseIOManager

written = WarehouseIOManager.handle_output
def handle_output(self, context, obj):
    written(self, context, obj)
    if context.asset_key.path == ["raw", "orders"]:
        os.kill(os.getpid(), signal.SIGKILL)
WarehouseIOManager.handle_output = handle_output

from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw import raw_definitions

settings = PlatformSettings.from_env()
defs = build_definitions(settings)
assets = raw_definitions(daily_partitions(settings.start_date)).assets
materialize(assets, resources=defs.resources, instance=DagsterInstance.get(), partition_key=sys.argv[1],
            selection=AssetSelection.assets(["lake", "orders"], ["raw", "orders"]))
"""


def order_days_changed_on(app_db_url: str, day: date) -> set[str]:
    """Creation days of the orders whose last change happened on `day`."""
    low = datetime.combine(day, time(), tzinfo=UTC)
    with psycopg.connect(app_db_url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM public.orders"
            " WHERE modified_at >= %s AND modified_at < %s", (low, low + timedelta(days=1)),
        ).fetchall()  # fmt: skip
    return {d.isoformat() for (d,) in rows}


@pytest.fixture
def shop(make_database, stack_env, tmp_path: Path, monkeypatch) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # storage on disk (SQLite)
    env = {
        "DAGSTER_HOME": str(home), "PLATFORM_LAKE_URL": (tmp_path / "lake").as_uri(),
        "PLATFORM_WAREHOUSE_URL": make_database("signal_wh"), "PLATFORM_APP_DB_URL": make_database("signal_app"),
        "PLATFORM_START_DATE": START.isoformat(), "PLATFORM_EXECUTOR": "in_process",
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    simulate(SimulationConfig(start=START, days=len(DAYS), scale=0.3), env["PLATFORM_APP_DB_URL"], env["PLATFORM_LAKE_URL"])
    return env


def test_a_merge_killed_after_commit_still_rebuilds_its_days(shop: dict[str, str]) -> None:
    defs = build_definitions(PlatformSettings.from_env())
    raw = raw_definitions(daily_partitions(START)).assets
    sources = AssetSelection.assets(["lake", "orders"], ["raw", "orders"], ["lake", "exchange_rates"], ["raw", "exchange_rates"])
    with DagsterInstance.get() as instance:
        for day in DAYS[:-1]:
            assert materialize(raw, resources=defs.resources, instance=instance, selection=sources, partition_key=day.isoformat()).success
        rates = AssetSelection.assets(["lake", "exchange_rates"], ["raw", "exchange_rates"])
        assert materialize(raw, resources=defs.resources, instance=instance, selection=rates, partition_key=KILLED_DAY.isoformat()).success
        sensor = defs.get_sensor_def("corrections_sensor")
        with build_sensor_context(instance=instance, definitions=defs) as context:
            cursor = sensor.evaluate_tick(context).cursor  # the days loaded so far are handled

        killed = subprocess.run([sys.executable, "-c", KILLED_LOAD, KILLED_DAY.isoformat()], env=os.environ.copy(),
                                capture_output=True, text=True, timeout=300)  # fmt: skip
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
        run = instance.get_runs()[0]
        changed = order_days_changed_on(shop["PLATFORM_APP_DB_URL"], KILLED_DAY)
        assert len(changed) > 1, "the simulated day changed no order of an earlier day"
        with psycopg.connect(shop["PLATFORM_WAREHOUSE_URL"]) as conn:
            loaded = conn.execute("SELECT count(*) FROM raw.orders WHERE modified_at >= %s", (KILLED_DAY,)).fetchone()[0]
        assert loaded > 0, "the killed load never committed"
        recorded = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
        assert AssetKey(["raw", "orders"]) not in {r.asset_key for r in recorded}

        with build_sensor_context(instance=instance, definitions=defs, cursor=cursor) as context:
            going = sensor.evaluate_tick(context)
        assert not going.run_requests  # the run still looks alive: its announcement waits
        with build_sensor_context(instance=instance, definitions=defs) as context:
            defs.get_sensor_def("run_worker_watchdog").evaluate_tick(context)  # finds the worker gone
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE

        rerun = materialize(raw, resources=defs.resources, instance=instance, partition_key=KILLED_DAY.isoformat(),
                            selection=AssetSelection.assets(["lake", "orders"], ["raw", "orders"]))  # fmt: skip
        assert rerun.success
        reported = rerun.asset_materializations_for_node("raw__orders")[0].metadata["data_days"].value
        assert reported == []  # the rerun found nothing left to change: only the announcement knows
        with build_sensor_context(instance=instance, definitions=defs, cursor=going.cursor) as context:
            requests = sensor.evaluate_tick(context).run_requests
    requested = {r.partition_key for r in requests if ORDERS_USD in r.asset_selection}
    ranges = [(r.tags.get("dagster/asset_partition_range_start"), r.tags.get("dagster/asset_partition_range_end"))
              for r in requests if ORDERS_USD in r.asset_selection and r.partition_key is None]  # fmt: skip
    for first, last in ranges:
        requested |= {d.isoformat() for d in DAYS if first <= d.isoformat() <= last}
    assert requested - {None} == changed
