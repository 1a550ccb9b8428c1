"""A day's summary and production steps in a warehouse of a week and in one of a year.

Both warehouses hold the same simulated week at `--scale 1`; the second also holds 52 weeks
of older clickstream (the week's events copied 1..52 weeks back, with new event and session
ids: same users, so the last day's answers do not change). In a child process the last day's
`channel_summary` (dbt) and `user_features` (production) are rebuilt in both, alternating
week, year, week, year after one untimed warm-up each; each step's time is read from the run's
event log. The figure is year ÷ week per step: a day should cost what its own data costs.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from benchmarks.child import run_child
from benchmarks.harness import Row, Timing, repeats
from data_platform.simulator.run import SimulationConfig, simulate

START, DAYS, WEEKS = date(2026, 1, 1), 7, 52
LAST = START + timedelta(days=DAYS - 1)
STEPS = {"channel_summary": ("analytics", "channel_summary"), "user_features": ("serving", "user_features")}
HISTORY = """
INSERT INTO raw.events (event_id, ts, event_date, user_id, session_id, event_type, page, channel, experiments, user_agent)
SELECT md5(e.event_id || ':' || w), e.ts - w * INTERVAL '7 days', e.event_date - 7 * w, e.user_id,
       e.session_id || ':' || w, e.event_type, e.page, e.channel, e.experiments, e.user_agent
FROM raw.events AS e CROSS JOIN generate_series(1, %s) AS w
"""


def run(week: dict[str, str], year_url: str, year_redis: str, app_db_url: str, lake_uri: str) -> list[Row]:
    simulate(SimulationConfig(start=START, days=DAYS + 1, scale=1), app_db_url, lake_uri)
    env = {**week, "PLATFORM_START_DATE": START.isoformat()}
    report = run_child("benchmarks.day_cost", env, {"year_url": year_url, "year_redis": year_redis})
    rows = []
    for step, runs in report["seconds"].items():
        # The figure is the year's seconds ÷ the week's: the week is this row's "ours".
        week, year = Timing(tuple(runs["week"])), Timing(tuple(runs["year"]))
        rows.append(Row(f"day_cost_ratio_{step}", f"{step} of {LAST}, a week of history", week, year,
                        f"the same with {WEEKS} weeks more"))  # fmt: skip
    return rows


def child(year_url: str, year_redis: str) -> dict:
    from dagster import AssetKey, DagsterInstance, materialize

    from benchmarks.backfill import _step_seconds
    from data_platform.definitions import build_definitions
    from data_platform.demo import materialize_everything
    from data_platform.resources.settings import PlatformSettings
    from data_platform.sensors.freshness import is_freshness

    defs = build_definitions(PlatformSettings.from_env())
    with DagsterInstance.ephemeral() as instance:
        assert all(r.success for r in materialize_everything(defs, instance, START.isoformat(), LAST.isoformat()))
    week_url = os.environ["PLATFORM_WAREHOUSE_URL"]
    _copy_database(week_url, year_url)  # the year's warehouse: the week's tables, then the history
    with psycopg.connect(year_url, autocommit=True) as conn:
        conn.execute(HISTORY, (WEEKS,))
        conn.execute("ANALYZE raw.events")
    stores = {"week": {"PLATFORM_WAREHOUSE_URL": week_url, "PLATFORM_WAREHOUSE_TRANSFORM_URL": week_url,
                       "PLATFORM_REDIS_URL": os.environ["PLATFORM_REDIS_URL"]},
              "year": {"PLATFORM_WAREHOUSE_URL": year_url, "PLATFORM_WAREHOUSE_TRANSFORM_URL": year_url,
                       "PLATFORM_REDIS_URL": year_redis}}  # fmt: skip
    seconds = {step: {"week": [], "year": []} for step in STEPS}
    assets = [*defs.assets, *(c for c in defs.asset_checks if not is_freshness(c))]
    with DagsterInstance.ephemeral() as instance:
        for attempt in range(repeats() + 1):  # the first round warms up, untimed
            for which in ("week", "year"):
                os.environ.update(stores[which])
                for step, key in STEPS.items():
                    result = materialize(assets, selection=[AssetKey(list(key))], partition_key=LAST.isoformat(),
                                         resources=defs.resources, instance=instance)  # fmt: skip
                    if attempt:
                        seconds[step][which].append(sum(_step_seconds(instance, result.run_id).values()))
    return {"seconds": seconds}


def _copy_database(source_url: str, target_url: str) -> None:
    """The target database becomes a copy of the source (PostgreSQL's template copy)."""
    source, target = (urlsplit(url).path.lstrip("/") for url in (source_url, target_url))
    admin = urlunsplit(urlsplit(source_url)._replace(path="/template1"))  # any database but the two
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(target), sql.Identifier(source)))


if __name__ == "__main__":
    print(json.dumps(child(**json.loads(sys.argv[1]))))
