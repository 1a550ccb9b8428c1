"""`make demo`: simulate the sources, materialize every asset for those days, show the result."""

from __future__ import annotations

import sys
from datetime import timedelta

from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    materialize,
)
from dotenv import load_dotenv

from data_platform.resources.settings import PlatformSettings, ensure_dagster_home, project_root

# Step-level logs go to the UI's run view; the terminal gets warnings and the summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def run_demo(days: int) -> int:
    load_dotenv(project_root() / ".env", override=False)
    settings = PlatformSettings.from_env()
    if missing := settings.missing():
        print(f"error: {', '.join(missing)} not set: run `data-platform services up`", file=sys.stderr)
        return 2
    from data_platform.simulator.run import SimulationConfig, simulate

    print(simulate(SimulationConfig(start=settings.start_date, days=days), settings.app_db_url,
                   settings.lake_url, settings.s3_endpoint_url))
    first, last = settings.start_date, settings.start_date + timedelta(days=days - 1)
    ok = _materialize_all(first.isoformat(), last.isoformat())
    _print_tables(settings)
    _print_serving(settings)
    print("\nOpen the UI: `make ui`, then http://127.0.0.1:3000 (assets, runs, backfills).")
    return 0 if ok else 1


def _materialize_all(first: str, last: str) -> bool:
    from data_platform.definitions import defs

    ensure_dagster_home()
    print(f"\nmaterializing {first} … {last} (one run for the partitioned assets, one for the rest)")
    runs = materialize_everything(defs, DagsterInstance.get(), first, last)
    for result in runs:
        print(f"run {result.run_id}: {'success' if result.success else 'FAILED'}")
    return all(result.success for result in runs)


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
    assets = list(defs.assets or []) + list(defs.asset_checks or [])
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
