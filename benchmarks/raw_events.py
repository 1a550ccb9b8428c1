"""`raw.events` for one simulated day of about a million events, Spark local, through Dagster.

The parent simulates days D and D+1 at `--scale 50` (D+1 carries D's late events) into a
scratch lake and app database; three child processes in turn materialize `lake/events`
and `raw/events` for D and report their own peak RSS, so nothing measured earlier in the
benchmark inflates it. Spark starts in each child before its timed run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date

from benchmarks.child import peak_rss_mib, run_child
from benchmarks.harness import Row, Timing, repeats
from data_platform.simulator.run import SimulationConfig, simulate

DAY = date(2026, 1, 1)


def run(warehouse_url: str, app_db_url: str, lake_uri: str, scale: float) -> Row:
    simulate(SimulationConfig(start=DAY, days=2, scale=scale), app_db_url, lake_uri)
    env = {"PLATFORM_WAREHOUSE_URL": warehouse_url, "PLATFORM_APP_DB_URL": app_db_url,
           "PLATFORM_LAKE_URL": lake_uri, "PLATFORM_START_DATE": DAY.isoformat()}  # fmt: skip
    # Each run in a fresh process, as a deployed run is: a long-lived process would also
    # carry the allocator's retained pages from the previous day into the peak.
    reports = [run_child("benchmarks.raw_events", env, {"day": DAY.isoformat()}) for _ in range(repeats())]
    timing = Timing(tuple(r["seconds"][0] for r in reports))
    events = reports[-1]["events"]
    return Row("events_per_second", f"{events:,} events, lake+warehouse", timing,
               value=events / timing.median, unit=" ev/s",
               extra={"events_peak_rss_mib": max(r["peak_rss_mib"] for r in reports)})  # fmt: skip


def _start_spark(master: str) -> None:
    from data_platform.resources.spark import spark_config, spark_session

    spark_session(spark_config(master))  # the resource's getOrCreate finds this session


def child(day: str, runs: int = 1) -> dict:
    import psycopg
    from dagster import AssetSelection, DagsterInstance, materialize

    from data_platform.assets.partitions import daily_partitions
    from data_platform.assets.raw import raw_definitions
    from data_platform.resources.environment import build_resources
    from data_platform.resources.settings import PlatformSettings

    settings = PlatformSettings.from_env()
    raw = raw_definitions(daily_partitions(settings.start_date))
    assets = [*raw.assets, *raw.asset_checks]
    resources, instance = build_resources(settings), DagsterInstance.ephemeral()
    selection = AssetSelection.assets(["lake", "events"], ["raw", "events"])
    _start_spark(settings.spark_master)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = materialize(assets, resources=resources, instance=instance, selection=selection,
                             partition_key=day)  # fmt: skip
        seconds.append(time.perf_counter() - started)
        if not result.success:
            raise RuntimeError("raw.events failed")
        # An in-process result holds every step's output (the day's tables) until released;
        # a deployed run has no such capture, so the next run must not start beside it.
        del result
    with psycopg.connect(os.environ["PLATFORM_WAREHOUSE_URL"]) as conn:
        events = conn.execute("SELECT count(*) FROM raw.events").fetchone()[0]
    return {"seconds": seconds, "events": events, "peak_rss_mib": peak_rss_mib()}


if __name__ == "__main__":
    print(json.dumps(child(**json.loads(sys.argv[1]))))
