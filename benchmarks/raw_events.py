"""`raw.events` for one simulated day of about a million events, Spark local, through Dagster.

The parent simulates days D and D+1 at `--scale 50` (D+1 carries D's late events) into a
scratch lake and app database; a child process materializes `lake/events` and
`raw/events` for D three times and reports its own peak RSS, so nothing measured earlier
in the benchmark inflates it. Spark starts once before the timed runs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date

from benchmarks.child import peak_rss_mib, run_child
from benchmarks.harness import Row, Timing
from data_platform.simulator.run import SimulationConfig, simulate

DAY = date(2026, 1, 1)


def run(warehouse_url: str, app_db_url: str, lake_uri: str, scale: float) -> Row:
    simulate(SimulationConfig(start=DAY, days=2, scale=scale), app_db_url, lake_uri)
    env = {"PLATFORM_WAREHOUSE_URL": warehouse_url, "PLATFORM_APP_DB_URL": app_db_url,
           "PLATFORM_LAKE_URL": lake_uri, "PLATFORM_START_DATE": DAY.isoformat()}  # fmt: skip
    report = run_child("benchmarks.raw_events", env, {"day": DAY.isoformat()})
    timing = Timing(tuple(report["seconds"]))
    return Row("events_per_second", f"{report['events']:,} events, lake+warehouse", timing,
               value=report["events"] / timing.median, unit=" ev/s",
               extra={"events_peak_rss_mib": report["peak_rss_mib"]})  # fmt: skip


def _start_spark(master: str) -> None:
    from pyspark.sql import SparkSession

    from data_platform.resources.spark import spark_config

    builder = SparkSession.builder
    for key, value in spark_config(master).items():
        builder = builder.config(key, value)
    builder.getOrCreate()  # the resource's getOrCreate finds this session


def child(day: str, runs: int = 3) -> dict:
    import psycopg
    from dagster import AssetSelection, DagsterInstance, materialize

    from data_platform.assets.partitions import daily_partitions
    from data_platform.assets.raw import build_raw_assets
    from data_platform.resources.environment import build_resources
    from data_platform.resources.settings import PlatformSettings

    settings = PlatformSettings.from_env()
    assets = build_raw_assets(daily_partitions(settings.start_date))
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
    with psycopg.connect(os.environ["PLATFORM_WAREHOUSE_URL"]) as conn:
        events = conn.execute("SELECT count(*) FROM raw.events").fetchone()[0]
    return {"seconds": seconds, "events": events, "peak_rss_mib": peak_rss_mib()}


if __name__ == "__main__":
    print(json.dumps(child(**json.loads(sys.argv[1]))))
