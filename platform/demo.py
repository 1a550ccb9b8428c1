"""`make demo`: the platform in the present. The first run simulates the DAYS days ending
yesterday (UTC) and materializes them; a later run catches the sources up to yesterday and
lets the real schedules, sensors and automation conditions tick (in this process), so only
what is new or changed is materialized; a second run the same day does nothing.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime, time, timedelta

from dagster import (
    AssetKey,
    AssetSelection,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    materialize,
)

from data_platform.resources.settings import (
    PlatformSettings,
    ensure_dagster_home,
    env_file,
    load_env_file,
)

# Step-level logs go to the UI's run view; the terminal gets warnings and the summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def run_demo(days: int, scale: float = 1.0) -> int:
    pinned = env_file()
    load_env_file()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    _pin(pinned, "PLATFORM_START_DATE", (yesterday - timedelta(days=days - 1)).isoformat())
    settings = PlatformSettings.from_env()
    if missing := settings.missing():
        print(f"error: {', '.join(missing)} not set: run `data-platform services up`", file=sys.stderr)
        return 2
    if settings.start_date > yesterday:
        print(f"error: PLATFORM_START_DATE {settings.start_date} is after yesterday", file=sys.stderr)
        return 2
    # Plain-shell `dagster …` commands read `.env`: they then record runs where the UI looks.
    _pin(pinned, "DAGSTER_HOME", str(ensure_dagster_home()), replace=True)
    _simulate_until(settings, yesterday, scale)
    ok = _catch_up(settings, yesterday)
    _print_tables(settings)
    _print_serving(settings)
    print("\nOpen the UI: `make ui`, then http://127.0.0.1:3000 (assets, runs, backfills).")
    return 0 if ok else 1


def _pin(env_file, name: str, value: str, replace: bool = False) -> None:
    """Set `name` for this process and in `.env` unless it is already set (or `replace`)."""
    from data_platform.local.stack import write_env_file

    if os.environ.get(name) and not replace:
        return
    os.environ[name] = value
    write_env_file(env_file, {name: value})


def _simulate_until(settings: PlatformSettings, yesterday: date, scale: float) -> None:
    """Simulate the days after the last simulated one, up to yesterday."""
    import psycopg

    from data_platform.simulator import appdb
    from data_platform.simulator.run import SimulationConfig, simulate

    with psycopg.connect(settings.app_db_url) as conn:
        appdb.ensure_schema(conn)
        through = appdb.read_state(conn).get("through")
    first = date.fromisoformat(through) + timedelta(days=1) if through else settings.start_date
    if first > yesterday:
        print(f"sources already simulated through {yesterday}")
        return
    config = SimulationConfig(start=first, days=(yesterday - first).days + 1, scale=scale)
    print(simulate(config, settings.app_db_url, settings.lake_url, settings.s3_endpoint_url))


def _catch_up(settings: PlatformSettings, yesterday: date) -> bool:
    """A fresh instance gets one backfill; a known one the ticks of the days it has missed."""
    from data_platform.definitions import build_definitions
    from data_platform.local.ticks import Ticker
    from data_platform.sensors.landing import SENSOR_NAME as LANDING

    defs, instance = build_definitions(settings), DagsterInstance.get()
    ticker = Ticker(defs, instance)
    ticker.load_cursors()
    loaded = sorted(instance.get_materialized_partitions(AssetKey(["raw", "orders"])))
    if not loaded:
        first, last = settings.start_date.isoformat(), yesterday.isoformat()
        print(f"\nmaterializing {first} … {last} (one run for the partitioned assets, one for the rest)")
        runs = materialize_everything(defs, instance, first, last)
        for result in runs:
            print(f"run {result.run_id}: {'success' if result.success else 'FAILED'}")
        ticker.cursors[LANDING] = _newest_landing_file(settings)
        ok = all(result.success for result in runs)
    else:
        new_days = [date.fromisoformat(loaded[-1]) + timedelta(days=n + 1)
                    for n in range((yesterday - date.fromisoformat(loaded[-1])).days)]  # fmt: skip
        for day in new_days:
            ticker.schedule("daily_sources_schedule", datetime.combine(day + timedelta(days=1), time(1), UTC))
        if new_days:
            ticker.schedule("nps_refresh_schedule", datetime.combine(yesterday + timedelta(days=1), time(1), UTC))
        ticker.sensor(LANDING)
        ok = True
    ticker.settle()
    ticker.save_cursors()
    for keys, partitions, success in ticker.runs:
        names = ", ".join(k.to_user_string() for k in keys)
        print(f"run {names} {'…'.join(p for p in partitions if p) or ''}: {'success' if success else 'FAILED'}")
    print(f"{len(ticker.runs)} runs from schedules, sensors and automation" if ticker.runs else "nothing new to run")
    return ok and all(success for *_, success in ticker.runs)


def _newest_landing_file(settings: PlatformSettings) -> str | None:
    from data_platform.assets.raw.events import LANDING_PREFIX, LANDING_SUFFIX
    from data_platform.resources.lake.resource import LakeResource

    lake = LakeResource(url=settings.lake_url, s3_endpoint_url=settings.s3_endpoint_url)
    files = lake.list_files(LANDING_PREFIX, suffix=LANDING_SUFFIX)
    return files[-1] if files else None


def materialize_everything(
    defs: Definitions, instance: DagsterInstance, first: str, last: str
) -> list[ExecuteInProcessResult]:
    """Every data asset for the days `first`…`last`: the partitioned ones in one single-run
    backfill, then the unpartitioned ones (which read the partitioned ones). Maintenance
    (retention, cleanup) runs on its own schedules, never as part of loading data."""
    graph = defs.resolve_asset_graph()
    keys = [k for k in graph.materializable_asset_keys if graph.get(k).group_name != "maintenance"]
    partitioned = AssetSelection.keys(*(k for k in keys if graph.get(k).is_partitioned))
    unpartitioned = AssetSelection.keys(*(k for k in keys if not graph.get(k).is_partitioned))
    from data_platform.sensors.freshness import is_freshness

    assets = [*(defs.assets or []), *(c for c in defs.asset_checks or [] if not is_freshness(c))]
    common = {"resources": defs.resources, "instance": instance, "run_config": QUIET, "raise_on_error": False}
    return [
        materialize(assets, selection=partitioned, tags={RANGE_START: first, RANGE_END: last}, **common),
        materialize(assets, selection=unpartitioned, **common),
    ]


def _print_tables(settings: PlatformSettings) -> None:
    import psycopg

    query = (
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('raw', 'analytics') AND table_type = 'BASE TABLE' "
        "AND table_name NOT LIKE '%%__staging' ORDER BY 1, 2"
    )
    print("\nwarehouse tables:")
    with psycopg.connect(settings.warehouse_url) as conn:
        for schema, table in conn.execute(query).fetchall():
            count = conn.execute(
                psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(schema, table))
            ).fetchone()[0]
            print(f"  {schema + '.' + table:<34} {count:>10,} rows")


def _print_serving(settings: PlatformSettings) -> None:
    import psycopg
    import redis

    client = redis.Redis.from_url(settings.redis_url)
    current = client.get("user_features:current")
    version = current.decode() if current else None
    meta = client.hgetall(f"user_features:{version}:__meta") if version else {}
    keys = int(meta.get(b"keys", 0)) if meta else 0
    print(f"\nRedis: user_features:current = {version} ({keys:,} user hashes)")
    with psycopg.connect(settings.app_db_url) as conn:
        exists = conn.execute("SELECT to_regclass('serving.channel_summary')").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM serving.channel_summary").fetchone()[0] if exists else 0
    print(f"app Postgres: serving.channel_summary {rows:,} rows")
