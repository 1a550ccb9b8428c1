"""Versions of a hash namespace in Redis: registry, completeness, pointers and retirement.

Layout for namespace `ns` and version `V` (an ISO date, so versions sort as text):

    ns:V:<id>             one hash per entity (the readers' contract key)
    ns:V:__meta           hash written last: `complete`=1, `keys`, `bytes`, `seconds`, …
    ns:current            the version readers use (the readers' contract key)
    {ns:current}:previous the version before it (for rollback)
    {ns:current}:versions sorted set of every version that may have keys (added before writing)
    {ns:current}:sealed   hash version → key count, set when a version is sealed complete
    {ns:current}:lock     the writers' lock

Redis Cluster: the keys after `current` carry the hash tag `{ns:current}`, whose slot is
the slot of `ns:current` itself, so every multi-key script (publish, rollback) touches one
slot. Entity keys are only ever used one per command (HSET, HGETALL, EXPIRE, UNLINK in
pipelines), so they spread over the cluster freely.

A version without a complete `__meta` is partial (a crashed or running write); one whose
meta carries `expiring` has a TTL on all its keys and is never pointed at again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import redis

from data_platform.resources.redis.resp import per_key

SCAN_COUNT = 10_000
UNLINK_BATCH = 5_000
META = "__meta"
VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Moves `current` to a sealed version, never backwards; the old one becomes `previous`.
# KEYS: current, previous, sealed (one slot).
PUBLISH = """
if not redis.call('HGET', KEYS[3], ARGV[1]) then
  return redis.error_reply('version ' .. ARGV[1] .. ' is not complete')
end
local cur = redis.call('GET', KEYS[1])
if cur and cur >= ARGV[1] then return cur end
if cur then redis.call('SET', KEYS[2], cur) end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
"""

# Sets both pointers only if `current` is still what the caller read (compare-and-set).
# KEYS: current, previous (one slot).
REPOINT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] == '' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[3]) end
return 1
"""


def check_version(version: str) -> str:
    """Versions are ISO dates: they sort as text and hold no SCAN pattern characters."""
    if not VERSION.match(version):
        raise ValueError(f"a version is an ISO date (YYYY-MM-DD), not {version!r}")
    date.fromisoformat(version)
    return version


@dataclass(frozen=True)
class Namespace:
    """Key names of one versioned namespace, e.g. `user_features`."""

    name: str

    @property
    def current(self) -> str:
        return f"{self.name}:current"

    @property
    def tag(self) -> str:
        """The hash tag that puts a key in `current`'s cluster slot."""
        return "{" + self.current + "}"

    @property
    def previous(self) -> str:
        return f"{self.tag}:previous"

    @property
    def registry(self) -> str:
        return f"{self.tag}:versions"

    @property
    def sealed(self) -> str:
        return f"{self.tag}:sealed"

    @property
    def lock(self) -> str:
        return f"{self.tag}:lock"

    def prefix(self, version: str) -> str:
        return f"{self.name}:{check_version(version)}:"

    def meta(self, version: str) -> str:
        return self.prefix(version) + META


def text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def pointer(client: redis.Redis, ns: Namespace, which: str = "current") -> str | None:
    return text(client.get(ns.current if which == "current" else ns.previous))


def meta(client: redis.Redis, ns: Namespace, version: str) -> dict[str, str]:
    return {text(k): text(v) for k, v in client.hgetall(ns.meta(version)).items()}


def is_complete(client: redis.Redis, ns: Namespace, version: str, usable: bool = False) -> bool:
    """Sealed by its writer; `usable` also requires that it is not expiring."""
    info = meta(client, ns, version)
    return info.get("complete") == "1" and not (usable and "expiring" in info)


def versions(client: redis.Redis, ns: Namespace) -> list[str]:
    """Registered versions, oldest first."""
    return [text(v) for v in client.zrange(ns.registry, 0, -1)]


def register(client: redis.Redis, ns: Namespace, version: str) -> bool:
    """Record the version before any of its keys exist; True when it was not registered yet."""
    return bool(client.zadd(ns.registry, {version: date.fromisoformat(version).toordinal()}))


def version_keys(client: redis.Redis, ns: Namespace, version: str) -> Iterator[bytes]:
    """Every entity key of a version (not its meta), by SCAN: never blocks the server."""
    meta_key = ns.meta(version).encode()
    for key in client.scan_iter(match=ns.prefix(version) + "*", count=SCAN_COUNT):
        if key != meta_key:
            yield key


def in_batches(keys: Iterator[bytes], size: int = UNLINK_BATCH) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def unlink_keys(client: redis.Redis, keys: Iterator[bytes]) -> int:
    """UNLINK one key per command, pipelined: a multi-key UNLINK would cross cluster slots."""
    return per_key(client, "UNLINK", keys)


def seal(client: redis.Redis, ns: Namespace, version: str, info: dict[str, object]) -> None:
    """The meta hash (the version's own completeness marker), then its entry among the sealed."""
    client.hset(ns.meta(version), mapping=info)
    client.hset(ns.sealed, version, str(info["keys"]))


def delete_version(client: redis.Redis, ns: Namespace, version: str) -> int:
    """Seal and meta first (the version stops counting as complete), then its keys, then the
    registry entry."""
    client.hdel(ns.sealed, version)
    client.delete(ns.meta(version))
    deleted = unlink_keys(client, version_keys(client, ns, version))
    client.zrem(ns.registry, version)
    return deleted


def expire_version(client: redis.Redis, ns: Namespace, version: str, seconds: int) -> None:
    """TTL on every key, meta last so it outlives them; marked so it is done once and never
    published again."""
    client.hdel(ns.sealed, version)
    per_key(client, "EXPIRE", version_keys(client, ns, version), seconds)
    client.hset(ns.meta(version), "expiring", str(seconds))
    client.expire(ns.meta(version), seconds)
