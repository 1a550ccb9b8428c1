"""Writing users' feature hashes as a version, against redis-py's loop and pipeline.

Ours writes `<ns>:<version>:<id>` hashes through the versioned store (lock, RESP batches,
read-back, seal, pointer switch). The baselines send the same HSETs: one call per user,
and a bare `pipeline(transaction=False)` flushed every 10,000 commands.
"""

from __future__ import annotations

from datetime import date, timedelta

import redis

from benchmarks.harness import Row, measure
from data_platform.resources.redis.store import VersionedHashStore

NAMESPACE = "bench_features"
FIELDS = ("sessions_7d", "orders_30d", "revenue_30d_usd", "last_seen_at", "channel")
CHANNELS = ("organic", "paid_search", "social", "email", "referral")
PIPELINE_FLUSH = 10_000


def feature_rows(users: int) -> list[tuple]:
    """`(user_id, sessions_7d, orders_30d, revenue_30d_usd, last_seen_at, channel)` per user."""
    return [
        (user, user % 9, user % 4, f"{(user % 997) * 1.37:.2f}",
         f"2026-01-{1 + user % 28:02d}T{user % 24:02d}:{user % 60:02d}:00+00:00", CHANNELS[user % 5])
        for user in range(1, users + 1)
    ]  # fmt: skip


def _mapping(row: tuple) -> dict[str, object]:
    return dict(zip(FIELDS, row[1:], strict=True))


def write_loop(client: redis.Redis, rows: list[tuple], prefix: str) -> None:
    for row in rows:
        client.hset(f"{prefix}{row[0]}", mapping=_mapping(row))


def write_pipeline(client: redis.Redis, rows: list[tuple], prefix: str) -> None:
    pipe = client.pipeline(transaction=False)
    for n, row in enumerate(rows, 1):
        pipe.hset(f"{prefix}{row[0]}", mapping=_mapping(row))
        if n % PIPELINE_FLUSH == 0:
            pipe.execute()
    pipe.execute()


def run(client: redis.Redis, rows: list[tuple], loop_rows: int) -> list[Row]:
    """Both Redis rows on an empty scratch database `client`; emptied before every run."""

    def empty() -> None:
        client.flushdb()

    versions = iter(date(2024, 1, 1) + timedelta(days=n) for n in range(1000))
    store = VersionedHashStore(client, NAMESPACE, FIELDS)
    ours = measure(lambda: store.write_version(next(versions).isoformat(), rows), empty)
    pipeline = measure(lambda: write_pipeline(client, rows, f"{NAMESPACE}:pipe:"), empty)
    loop_part = rows[:loop_rows]
    if loop_rows == len(rows):
        ours_for_loop = ours
    else:  # both sides on the same slice, so the ratio compares like with like
        ours_for_loop = measure(lambda: store.write_version(next(versions).isoformat(), loop_part), empty)
    loop = measure(lambda: write_loop(client, loop_part, f"{NAMESPACE}:loop:"), empty)
    client.flushdb()
    return [
        Row("redis_vs_loop", f"versioned store, {len(loop_part):,} users", ours_for_loop, loop,
            f"HSET loop, {len(loop_part):,} users"),
        Row("redis_vs_pipeline", f"versioned store, {len(rows):,} users", ours, pipeline,
            f"redis-py pipeline, {len(rows):,}"),
    ]  # fmt: skip
