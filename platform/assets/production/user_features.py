"""`serving/user_features`: ML features per user as of day D, served from Redis.

Computed in the warehouse by one query per day and returned as a table (one row per user
and day); the Redis IO manager writes each day as version D (`user_features:<D>:<user_id>`)
and moves `user_features:current` to D only when D is complete and the newest, so a
backfill never moves readers backwards.
"""

from collections.abc import Iterator

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from data_platform.assets import conventions
from data_platform.assets.partitions import partition_days
from data_platform.assets.production import stores as c
from data_platform.assets.production.feature_sql import FIELDS, count_users, stream_features
from data_platform.resources.redis.pointers import count_keys
from data_platform.resources.redis.store import RedisResource
from data_platform.resources.warehouse.resource import WarehouseResource

MATCHES_WAREHOUSE = "version_matches_warehouse"
RAW_DEPS = [["raw", "events"], ["analytics", "orders_usd"], ["raw", "users"]]
DAY_COLUMN = "as_of"
SCHEMA = pa.schema([
    (DAY_COLUMN, pa.date32()), ("user_id", pa.int64()), ("sessions_7d", pa.int64()),
    ("orders_30d", pa.int64()), ("revenue_30d_usd", pa.decimal128(18, 2)),
    ("last_seen_at", pa.string()), ("channel", pa.string()),
])  # fmt: skip


@asset(
    key=c.USER_FEATURES,
    deps=RAW_DEPS,
    backfill_policy=conventions.BACKFILL,
    group_name=conventions.PRODUCTION,
    owners=conventions.OWNERS,
    kinds={"redis", "postgres", "redshift"},
    io_manager_key="redis_io_manager",
    metadata={
        "redis_keys": "user_features:<D>:<user_id>",
        "pointer": "user_features:current",
        "fields": ", ".join(FIELDS),
        "redis_namespace": c.FEATURE_NAMESPACE,
        "redis_id_column": "user_id",
        "partition_column": DAY_COLUMN,
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
) -> Iterator[Output | AssetCheckResult]:
    """Per-user features as of D in Redis: sessions_7d, orders_30d, revenue_30d_usd (net),
    last_seen_at and signup channel, one hash `user_features:<D>:<user_id>` per user seen
    up to D. Each day of the run becomes a complete version; the newest becomes current.
    """
    client = redis.get_client()  # fails fast, before the warehouse query, when Redis is down
    days = partition_days(context)
    with warehouse.get_connection() as conn:
        table = pa.concat_tables([features_table(conn, day) for day in days])
        expected = {day.isoformat(): count_users(conn, day) for day in days}
    context.log.info(f"user_features: {table.num_rows} rows for {len(days)} days")
    yield Output(table)  # the IO manager writes and publishes the versions here
    yield match_result(client, list(expected), expected)


def features_table(conn, day) -> pa.Table:
    """One day's features as a table (values as the warehouse computed them)."""
    columns = list(zip(*stream_features(conn, day), strict=True)) or [[] for _ in SCHEMA.names[1:]]
    arrays = [pa.array([day] * len(columns[0]), pa.date32())]
    arrays += [pa.array(values, field.type) for values, field in zip(columns, list(SCHEMA)[1:], strict=True)]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def match_result(client, versions: list[str], expected: dict[str, int]) -> AssetCheckResult:
    """Keys counted in Redis by SCAN against the warehouse's user count, per version written.

    The writer already read a sample of hashes back against the warehouse rows before
    sealing each version, so a passing count means every user is there with those values.
    """
    counted = {v: count_keys(client, c.FEATURE_NAMESPACE, v) for v in versions}
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
