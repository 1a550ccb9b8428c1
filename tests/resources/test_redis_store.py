"""The versioned Redis writer against the stack's real Redis: publish, backfill, rewrite, rollback."""

from __future__ import annotations

import itertools

import pytest
import redis

from data_platform.resources.redis import versions as rv
from data_platform.resources.redis.pointers import (
    RollbackError,
    count_keys,
    read_current,
    read_version,
    rollback,
)
from data_platform.resources.redis.store import (
    RedisResource,
    VersionedHashStore,
    VersionMismatchError,
)

FIELDS = ("a", "b")
_names = itertools.count()


@pytest.fixture(scope="module")
def client(stack_env: dict[str, str]) -> redis.Redis:
    """DB 5 of the stack's Redis belongs to this module; every test uses its own namespace."""
    url = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/5"
    client = RedisResource(url=url).get_client()
    client.flushdb()
    return client


@pytest.fixture
def ns() -> str:
    return f"feat{next(_names)}"


def rows(ids: range | list[int], tag: str) -> list[tuple]:
    return [(i, f"{tag}-{i}", i * 10) for i in ids]


def store(client: redis.Redis, ns: str, **kwargs) -> VersionedHashStore:
    return VersionedHashStore(
        client, ns, FIELDS, batch=2, **kwargs
    )  # tiny batches: many round trips


def test_write_publishes_a_complete_version(client, ns):
    result = store(client, ns).write_version("2026-01-02", rows(range(1, 6), "x"))
    assert (result.keys, result.mode, result.current) == (5, "fresh", "2026-01-02")
    assert result.bytes > 0
    version, data = read_current(client, ns)
    assert version == "2026-01-02"
    assert data == {i: {"a": f"x-{i}", "b": str(i * 10)} for i in range(1, 6)}
    assert client.hgetall(f"{ns}:2026-01-02:__meta")[b"complete"] == b"1"
    assert client.get(f"{ns}:current") == b"2026-01-02"


def test_newer_versions_move_pointer_keep_previous_expire_older(client, ns):
    s = store(client, ns, retain_seconds=3600)
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        s.write_version(day, rows(range(3), day))
    n = rv.Namespace(ns)
    assert (rv.pointer(client, n), rv.pointer(client, n, "previous")) == (
        "2026-01-03",
        "2026-01-02",
    )
    assert 0 < client.ttl(f"{ns}:2026-01-01:1") <= 3600
    assert 0 < client.ttl(f"{ns}:2026-01-01:__meta") <= 3600
    assert client.ttl(f"{ns}:2026-01-02:1") == -1 and client.ttl(f"{ns}:2026-01-03:1") == -1


def test_backfill_of_older_day_never_moves_current_backwards(client, ns):
    s = store(client, ns)
    s.write_version("2026-01-05", rows(range(3), "new"))
    result = s.write_version("2026-01-03", rows(range(4), "old"))
    assert result.current == "2026-01-05"
    assert read_current(client, ns)[0] == "2026-01-05"
    assert read_version(client, ns, "2026-01-03")[3] == {"a": "old-3", "b": "30"}


def test_rerun_of_current_rewrites_in_place_and_drops_vanished_ids(client, ns):
    s = store(client, ns)
    s.write_version("2026-01-02", rows(range(5), "one"))
    again = s.write_version("2026-01-02", rows(range(3), "two"))
    assert (again.mode, again.current) == ("rewrite", "2026-01-02")
    assert read_current(client, ns) == (
        "2026-01-02",
        {i: {"a": f"two-{i}", "b": str(i * 10)} for i in range(3)},
    )
    assert client.hget(f"{ns}:2026-01-02:__meta", "keys") == b"3"


def test_rerun_is_idempotent(client, ns):
    s = store(client, ns)
    s.write_version("2026-01-02", rows(range(4), "x"))
    before = read_current(client, ns)
    s.write_version("2026-01-02", rows(range(4), "x"))
    assert read_current(client, ns) == before


def test_rewrite_of_a_non_current_version_starts_empty(client, ns):
    s = store(client, ns)
    s.write_version("2026-01-01", rows(range(5), "a"))
    s.write_version("2026-01-02", rows(range(5), "b"))
    s.write_version("2026-01-01", rows([7], "c"))
    assert read_version(client, ns, "2026-01-01") == {7: {"a": "c-7", "b": "70"}}
    assert read_current(client, ns)[0] == "2026-01-02"


def test_bad_input_is_never_published_and_is_cleaned_next_time(client, ns):
    s = store(client, ns)
    s.write_version("2026-01-01", rows(range(3), "ok"))
    with pytest.raises(VersionMismatchError, match="duplicate"):
        s.write_version("2026-01-02", [(1, "x", 1), (1, "y", 2)])
    assert read_current(client, ns)[0] == "2026-01-01"
    assert count_keys(client, ns, "2026-01-02") == 1
    s.write_version("2026-01-01", rows(range(3), "ok"))
    assert count_keys(client, ns, "2026-01-02") == 0
    assert "2026-01-02" not in rv.versions(client, rv.Namespace(ns))


def test_rollback_walks_back_through_complete_versions(client, ns):
    with pytest.raises(RollbackError, match="not set"):
        rollback(client, ns)
    s = store(client, ns, retain_seconds=3600)
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        s.write_version(day, rows(range(2), day))
    assert rollback(client, ns) == "2026-01-02"
    assert read_current(client, ns)[1][1] == {"a": "2026-01-02-1", "b": "10"}
    # 2026-01-01 was superseded (expiring) when 01-03 was written: not a rollback target.
    with pytest.raises(RollbackError, match="no complete version older than 2026-01-02"):
        rollback(client, ns)
    # A newer day published after the rollback moves current forward again.
    assert s.write_version("2026-01-04", rows(range(2), "d")).current == "2026-01-04"


def test_rollback_skips_partial_versions(client, ns):
    s = store(client, ns)
    s.write_version("2026-01-01", rows(range(2), "a"))
    s.write_version("2026-01-03", rows(range(2), "c"))
    rv.register(client, rv.Namespace(ns), "2026-01-02")  # a partial write: registered, never sealed
    client.hset(f"{ns}:2026-01-02:0", mapping={"a": "partial", "b": "0"})
    assert rollback(client, ns) == "2026-01-01"


def test_second_writer_waits_for_the_lock(client, ns):
    lock = client.lock(rv.Namespace(ns).lock, timeout=30)
    assert lock.acquire(blocking=False)
    try:
        with pytest.raises(TimeoutError, match="another writer"):
            VersionedHashStore(client, ns, FIELDS, wait_seconds=1).write_version(
                "2026-01-01", rows(range(2), "x")
            )
    finally:
        lock.release()
    assert read_current(client, ns) == (None, {})


def test_versions_must_be_iso_dates(client, ns):
    with pytest.raises(ValueError, match="ISO date"):
        store(client, ns).write_version("2026-01-*", rows(range(2), "x"))
