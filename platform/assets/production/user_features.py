"""`serving/user_features`: ML features per user as of day D, served from Redis.

Computed in the warehouse by one query, streamed out through a server-side cursor and
written as version D (`user_features:<D>:<user_id>`); `user_features:current` moves to
D only when D is complete and the newest, so a backfill never moves readers backwards.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from data_platform.assets import conventions
from data_platform.assets.partitions import partition_days
from data_platform.assets.production import stores as c
from data_platform.assets.production.feature_sql import FIELDS, count_users, stream_features
from data_platform.resources.redis.pointers import count_keys
from data_platform.resources.redis.store import RedisResource, VersionWrite
from data_platform.resources.warehouse.resource import WarehouseResource

MATCHES_WAREHOUSE = "version_matches_warehouse"
RAW_DEPS = [["raw", "events"], ["raw", "orders"], ["raw", "users"], ["raw", "exchange_rates"]]


@asset(
    key=c.USER_FEATURES,
    deps=RAW_DEPS,
    backfill_policy=conventions.BACKFILL,
    group_name=conventions.PRODUCTION,
    owners=conventions.OWNERS,
    kinds={"redis", "postgres", "redshift"},
    metadata={
        "redis_keys": "user_features:<D>:<user_id>",
        "pointer": "user_features:current",
        "fields": ", ".join(FIELDS),
    },  # fmt: skip
    check_specs=[
        AssetCheckSpec(
            MATCHES_WAREHOUSE,
            asset=c.USER_FEATURES,
            description="Each version written holds one hash per warehouse user with any event up to D.",
        )  # fmt: skip
    ],
)
def user_features(
    context: AssetExecutionContext, warehouse: WarehouseResource, redis: RedisResource
) -> MaterializeResult:
    """Per-user features as of D in Redis: sessions_7d, orders_30d, revenue_30d_usd (net),
    last_seen_at and signup channel, one hash `user_features:<D>:<user_id>` per user seen
    up to D. Each day of the run becomes a complete version; the newest becomes current.
    """
    store = redis.versioned_store(c.FEATURE_NAMESPACE, FIELDS)  # fails fast when Redis is down
    writes: list[VersionWrite] = []
    expected: dict[str, int] = {}
    with warehouse.get_connection() as conn:
        for day in partition_days(context):
            written = store.write_version(day.isoformat(), stream_features(conn, day))
            context.log.info(
                f"user_features {written.version}: {written.keys} keys in {written.seconds}s"
            )
            writes.append(written)
            expected[written.version] = count_users(conn, day)
    return MaterializeResult(
        metadata=run_metadata(writes),
        check_results=[match_result(store.client, writes, expected)],
    )


def run_metadata(writes: list[VersionWrite]) -> dict[str, object]:
    last = writes[-1]
    return {
        "version": last.version,
        "current_version": last.current or "",
        "keys_written": MetadataValue.int(sum(w.keys for w in writes)),
        "bytes_written": MetadataValue.int(sum(w.bytes for w in writes)),
        "seconds": MetadataValue.float(round(sum(w.seconds for w in writes), 3)),
        "versions_written": ", ".join(w.version for w in writes),
        "write_mode": ", ".join(sorted({w.mode for w in writes})),
        "cleaned_partial_versions": ", ".join(v for w in writes for v in w.cleaned) or "none",
    }


def match_result(client, writes: list[VersionWrite], expected: dict[str, int]) -> AssetCheckResult:
    """Keys counted in Redis by SCAN against the warehouse's user count, per version written.

    The writer already read a sample of hashes back against the warehouse rows before
    sealing each version, so a passing count means every user is there with those values.
    """
    counted = {w.version: count_keys(client, c.FEATURE_NAMESPACE, w.version) for w in writes}
    mismatched = {v: (counted[v], expected[v]) for v in counted if counted[v] != expected[v]}
    return AssetCheckResult(
        check_name=MATCHES_WAREHOUSE,
        passed=not mismatched,
        metadata={
            "redis_keys": MetadataValue.json(counted),
            "warehouse_users": MetadataValue.json(expected),
            "mismatched (redis, warehouse)": MetadataValue.json(
                {v: list(p) for v, p in mismatched.items()}
            ),
        },
    )
