"""Whole Dagster run processes against one partition: launched twice at once, and killed -9
in the middle of a warehouse load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg

DAY = date(2026, 1, 2)  # the shop fixture's day under test
ORDERS = (["lake", "orders"], ["raw", "orders"])
RATES = (["lake", "exchange_rates"], ["raw", "exchange_rates"])
HOLD_LOCK = 4242  # the test holds this advisory lock to stop a load just before COMMIT

# A run process: materializes the given assets for one day once the file `go` exists.
RUN = """
import os, sys, time
from dagster import AssetSelection, DagsterInstance, materialize
from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw import raw_definitions
from data_platform.resources.environment import build_resources
from data_platform.resources.settings import PlatformSettings

go, day, keys = sys.argv[1], sys.argv[2], [k.split("/") for k in sys.argv[3:]]
settings = PlatformSettings.from_env()
raw = raw_definitions(daily_partitions(settings.start_date))
assets = [*raw.assets, *raw.asset_checks]
print("READY", flush=True)
while not os.path.exists(go):
    time.sleep(0.01)
result = materialize(assets, resources=build_resources(settings), instance=DagsterInstance.ephemeral(),
                     selection=AssetSelection.assets(*keys), partition_key=day)
sys.exit(0 if result.success else 1)
"""


def launch(shop, go: Path, *keys: list[str]) -> subprocess.Popen:
    args = [sys.executable, "-c", RUN, str(go), DAY.isoformat(), *("/".join(k) for k in keys)]
    proc = subprocess.Popen(args, env={**os.environ, **shop.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
    return proc


def query(url: str, text: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(text, params).fetchall()


def test_the_same_partition_launched_twice_at_once(shop, tmp_path: Path) -> None:
    go = tmp_path / "go"
    runs = [launch(shop, go, *ORDERS, *RATES) for _ in range(2)]
    go.touch()  # both start their runs at the same moment
    for proc in runs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()[-3000:]
    orders = query(shop.warehouse_url, "SELECT order_id FROM raw.orders WHERE modified_at::date = %s", (DAY,))
    source = query(shop.app_db_url, "SELECT order_id FROM public.orders WHERE modified_at::date = %s", (DAY,))
    assert sorted(orders) == sorted(source) and len(source) > 0
    total, distinct = query(shop.warehouse_url, "SELECT count(*), count(DISTINCT order_id) FROM raw.orders")[0]
    assert total == distinct
    rates = query(shop.warehouse_url, "SELECT currency FROM raw.exchange_rates WHERE rate_date = %s ORDER BY 1", (DAY,))
    assert rates == [("KRW",), ("USD",)]


def blocked_loads(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
    ).fetchone()[0]


def test_run_process_killed_during_a_load_keeps_old_rows(shop, tmp_path: Path) -> None:
    assert shop.run(*RATES).success
    marker = "UPDATE raw.exchange_rates SET usd_per_unit = 7 WHERE rate_date = %s"
    with psycopg.connect(shop.warehouse_url, autocommit=True) as conn:
        conn.execute(marker, (DAY,))  # "old rows" the next load must replace, or keep if it dies
        # After the load's COPY (its DELETE done, new rows in), the load waits for the test.
        conn.execute(f"""CREATE FUNCTION raw.hold_load() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_lock({HOLD_LOCK}); PERFORM pg_advisory_unlock({HOLD_LOCK}); RETURN NULL; END $$""")
        conn.execute("CREATE TRIGGER hold_load AFTER INSERT ON raw.exchange_rates"
                     " FOR EACH STATEMENT EXECUTE FUNCTION raw.hold_load()")
        conn.execute("SELECT pg_advisory_lock(%s)", (HOLD_LOCK,))
        go = tmp_path / "go"
        run = launch(shop, go, *RATES)
        go.touch()
        deadline = time.monotonic() + 90
        while not blocked_loads(conn) and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.1)
        assert blocked_loads(conn) == 1, run.stderr.read()[-3000:] if run.poll() is not None else "load never blocked"
        old = query(shop.warehouse_url, "SELECT usd_per_unit FROM raw.exchange_rates WHERE rate_date = %s", (DAY,))
        assert [float(v) for (v,) in old] == [7.0, 7.0]  # readers still see the old rows
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL
        conn.execute("SELECT pg_advisory_unlock(%s)", (HOLD_LOCK,))  # the orphaned load finds its client gone
        busy = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state <> 'idle' AND pid <> pg_backend_pid()")
        deadline = time.monotonic() + 30
        while conn.execute(busy).fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.1)  # the orphaned backend rolls back and exits
        conn.execute("DROP TRIGGER hold_load ON raw.exchange_rates")
        conn.execute("DROP FUNCTION raw.hold_load()")
    after = query(shop.warehouse_url, "SELECT usd_per_unit FROM raw.exchange_rates WHERE rate_date = %s", (DAY,))
    assert [float(v) for (v,) in after] == [7.0, 7.0]  # the killed load never committed

    assert shop.run(*RATES).success  # the rerun completes
    rates = query(shop.warehouse_url, "SELECT currency, usd_per_unit FROM raw.exchange_rates WHERE rate_date = %s ORDER BY 1", (DAY,))
    assert [c for c, _ in rates] == ["KRW", "USD"] and float(rates[1][1]) == 1.0 and 0 < float(rates[0][1]) < 0.01
