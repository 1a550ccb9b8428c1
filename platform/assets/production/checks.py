"""Checks on the serving stores as readers see them (they can run at any time from the UI)."""

from datetime import timedelta

from dagster import AssetCheckResult, AssetChecksDefinition, MetadataValue, asset_check
from psycopg import sql

from data_platform.assets.production import stores as c
from data_platform.assets.production.serving_summary import SOURCE, TARGET, serving_window
from data_platform.resources.app_db import AppDbResource
from data_platform.resources.redis import versions as rv
from data_platform.resources.redis.pointers import count_keys
from data_platform.resources.redis.store import RedisResource
from data_platform.resources.warehouse.resource import WarehouseResource

SUMMED = ("sessions", "unique_users", "paid_users", "gross_revenue_usd", "net_revenue_usd")


@asset_check(asset=c.USER_FEATURES, name="pointer_names_complete_version")
def pointer_names_complete_version(redis: RedisResource) -> AssetCheckResult:
    """`user_features:current` names a sealed version whose keys are all there."""
    client = redis.get_client()
    ns = rv.Namespace(c.FEATURE_NAMESPACE)
    version = rv.pointer(client, ns)
    if version is None:
        return AssetCheckResult(passed=False, description=f"{ns.current} is not set")
    info = rv.meta(client, ns, version)
    counted = count_keys(client, c.FEATURE_NAMESPACE, version)
    passed = (
        info.get("complete") == "1" and "expiring" not in info and str(counted) == info.get("keys")
    )
    return AssetCheckResult(
        passed=passed,
        metadata={"current": version, "previous": rv.pointer(client, ns, "previous") or "",
                  "sealed_keys": info.get("keys", "missing"), "keys_in_redis": MetadataValue.int(counted)},
    )  # fmt: skip


def totals(conn, ref, start=None, end=None) -> tuple:
    """Row count and column sums (the same SQL on both sides, optionally over a date window)."""
    query = sql.SQL("SELECT COUNT(*), {} FROM {}").format(
        sql.SQL(", ").join(
            sql.SQL("COALESCE(SUM({}), 0)").format(sql.Identifier(n)) for n in SUMMED
        ),
        ref.ident,
    )
    if start is not None:
        query += sql.SQL(" WHERE event_date >= %s AND event_date < %s")
    return tuple(conn.execute(query, (start, end) if start is not None else None).fetchone())


@asset_check(asset=c.SERVING_CHANNEL_SUMMARY, name="matches_warehouse")
def serving_matches_warehouse(
    warehouse: WarehouseResource, app_db: AppDbResource
) -> AssetCheckResult:
    """The app's copy has the warehouse's rows for the last 90 days: same count and sums."""
    with warehouse.get_connection() as conn:
        start, end = serving_window(conn)
        expected = totals(conn, SOURCE, start, end)
    with app_db.get_connection() as conn:
        actual = totals(conn, TARGET)
    names = ("rows", *SUMMED)
    return AssetCheckResult(
        passed=expected == actual,
        metadata={
            "window": f"{start} .. {end - timedelta(days=1)}",
            "warehouse": MetadataValue.json(dict(zip(names, map(str, expected), strict=True))),
            "serving": MetadataValue.json(dict(zip(names, map(str, actual), strict=True))),
        },
    )


CHECKS: list[AssetChecksDefinition] = [pointer_names_complete_version, serving_matches_warehouse]
