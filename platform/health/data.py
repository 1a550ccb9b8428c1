"""Health of the data readers use, not only of the servers holding it.

- `user_features`: `user_features:current` names a sealed, non-expiring version whose keys
  are there (a Redis restarted without its data, or a half-written version, fails).
- `serving_channel_summary`: the app's `serving.channel_summary` exists and has rows.
- `freshness`: the rule of the UI's `freshness_check`s: once the deadline cron
  (`PLATFORM_FRESHNESS_DEADLINE_CRON`, 03:00 UTC) has ticked, every daily asset has the day
  before it materialized; one rule for the UI, the incident reports and this command.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dagster import AssetKey, DagsterInstance
from dagster._utils.schedules import get_latest_completed_cron_tick

from data_platform.health.runner import HealthContext, missing
from data_platform.resources.settings import PlatformSettings

FEATURE_NAMESPACE = "user_features"
# Up to this many keys a version's keys are counted exactly (SCAN); above, the key count
# of the whole database must at least cover the sealed count, so health stays fast.
EXACT_COUNT_LIMIT = 100_000
# The daily assets whose newest partition readers rely on (a test keeps this list equal to
# the daily assets of the definitions, so it cannot drift; loading them here would be slow).
DAILY_ASSETS = (
    "lake/users", "lake/orders", "lake/exchange_rates", "lake/events",
    "raw/users", "raw/orders", "raw/exchange_rates", "raw/events",
    "analytics/orders_usd", "analytics/channel_summary", "analytics/daily_revenue",
    "analytics/experiment_exposures",
    "serving/user_features",
)  # fmt: skip


def check_user_features(redis_url: str) -> str:
    import redis

    from data_platform.resources.redis import versions as rv
    from data_platform.resources.redis.pointers import count_keys

    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    ns = rv.Namespace(FEATURE_NAMESPACE)
    version = rv.pointer(client, ns)
    if version is None:
        raise RuntimeError(f"{ns.current} is not set: no features are served")
    info = rv.meta(client, ns, version)
    if info.get("complete") != "1":
        raise RuntimeError(f"{ns.current} names {version}, which is not sealed complete")
    if "expiring" in info:
        raise RuntimeError(f"{ns.current} names {version}, which is expiring")
    sealed = int(info.get("keys", "0"))
    if sealed <= EXACT_COUNT_LIMIT:
        present = count_keys(client, FEATURE_NAMESPACE, version)
        if present != sealed:
            raise RuntimeError(f"{version} holds {present} keys, sealed with {sealed}")
    elif client.dbsize() < sealed:
        raise RuntimeError(f"{version} was sealed with {sealed} keys; Redis holds {client.dbsize()}")
    return f"{ns.current} = {version}, complete, {sealed} users"


def check_serving_summary(app_db_url: str) -> str:
    import psycopg

    with psycopg.connect(app_db_url, connect_timeout=2) as conn:
        exists = conn.execute("SELECT to_regclass('serving.channel_summary')").fetchone()[0]
        if exists is None:
            raise RuntimeError("serving.channel_summary does not exist")
        rows, last = conn.execute(
            "SELECT count(*), max(event_date) FROM serving.channel_summary"
        ).fetchone()
    if not rows:
        raise RuntimeError("serving.channel_summary is empty")
    return f"serving.channel_summary: {rows} rows, up to {last}"


def check_freshness(instance: DagsterInstance, settings: PlatformSettings) -> str:
    """The freshness checks' rule: once the deadline cron has ticked, the day before it must be
    materialized for every daily asset (the same expectation the UI's `freshness_check` shows)."""
    deadline = get_latest_completed_cron_tick(settings.freshness_deadline_cron, datetime.now(UTC), "UTC")
    expected = (deadline.date() - timedelta(days=1)).isoformat()
    if expected < settings.start_date.isoformat():
        return f"no partition due yet (first partition {settings.start_date})"
    stale = [
        name for name in DAILY_ASSETS
        if expected not in instance.get_materialized_partitions(AssetKey(name.split("/")))
    ]  # fmt: skip
    if stale:
        raise RuntimeError(f"partition {expected} missing after the {deadline:%H:%M} UTC deadline: " + ", ".join(stale))
    return f"{len(DAILY_ASSETS)} daily assets have partition {expected} (deadline {deadline:%Y-%m-%d %H:%M} UTC)"


def checks(ctx: HealthContext) -> dict[str, Callable[[], str]]:
    """Is the data there: served features, the serving table, every daily asset on time."""
    settings = ctx.settings
    return {
        "user_features": (lambda: check_user_features(settings.redis_url))
        if settings.redis_url else missing("redis"),
        "serving_channel_summary": (lambda: check_serving_summary(settings.app_db_url))
        if settings.app_db_url else missing("app_db"),
        "freshness": lambda: check_freshness(ctx.instance, settings),
    }  # fmt: skip
