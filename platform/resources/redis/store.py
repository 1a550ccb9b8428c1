"""Redis for serving: the resource, and the versioned writer that swaps versions atomically.

A version is written completely under a namespace-wide lock, read back, sealed with its
`__meta` hash and only then published by moving `<ns>:current` in one server-side step.
Readers therefore see the old or the new version, never a mix. Versions that are
neither current nor previous get a TTL; partial versions left by a crash are deleted by
the next write.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from dagster import ConfigurableResource
from pydantic import Field

from data_platform.resources.redaction import redact
from data_platform.resources.redis import versions as rv
from data_platform.resources.redis.resp import BATCH_COMMANDS, BulkHashWriter, BulkResult


class RedisUnavailableError(ConnectionError):
    """Redis could not be reached; nothing was written and no pointer moved."""


class VersionMismatchError(RuntimeError):
    """A written version does not read back as sent; it stays unpublished and is cleaned later."""


@dataclass
class VersionWrite:
    """Outcome of one version write: the numbers become the asset's metadata."""

    version: str
    keys: int
    bytes: int
    seconds: float
    mode: str  # "fresh": written from empty; "rewrite": the current version rewritten in place
    current: str | None
    cleaned: list[str] = field(default_factory=list)


class VersionedHashStore:
    """Writes whole versions of `<namespace>:<version>:<id>` hashes and publishes them."""

    def __init__(
        self, client: redis.Redis, namespace: str, fields: Sequence[str], *, batch: int = BATCH_COMMANDS,
        lock_seconds: int = 60, wait_seconds: int = 900, retain_seconds: int = 86_400,
    ):  # fmt: skip
        self.client, self.ns, self.fields, self.batch = (
            client,
            rv.Namespace(namespace),
            tuple(fields),
            batch,
        )
        self.lock_seconds, self.wait_seconds, self.retain_seconds = (
            lock_seconds,
            wait_seconds,
            retain_seconds,
        )

    def write_version(self, version: str, rows: Iterable[Sequence[object]]) -> VersionWrite:
        """Write rows `(id, v1, …, vn)` as `version`, seal it, move `current` if it is the newest."""
        rv.check_version(version)
        started = time.monotonic()
        # The first row is read before the lock is taken: a slow source query must not hold it.
        rows = iter(rows)
        first = next(rows, None)
        rows = rows if first is None else itertools.chain([first], rows)
        lock = self.client.lock(self.ns.lock, timeout=self.lock_seconds, thread_local=False)
        if not lock.acquire(blocking_timeout=self.wait_seconds):
            raise TimeoutError(f"another writer held {self.ns.lock} for {self.wait_seconds}s")
        try:
            cleaned = self.retire(skip=version)
            # The current version is rewritten in place (each hash whole); any other starts empty.
            rewrite = rv.pointer(self.client, self.ns) == version
            if not rewrite and not rv.register(self.client, self.ns, version):
                rv.delete_version(self.client, self.ns, version)
                rv.register(self.client, self.ns, version)
            seen: set[bytes] | None = set() if rewrite else None
            writer = BulkHashWriter(self.client, self.ns.prefix(version), self.fields, self.batch)
            result = writer.write(rows, on_batch=lock.reacquire, keys_seen=seen)
            if seen is not None:
                self._drop_stale(version, seen)
            self._verify(version, result, rewrite)
            seconds = time.monotonic() - started
            self._seal(version, result, seconds)
            current = rv.text(
                self.client.eval(
                    rv.PUBLISH, 3, self.ns.current, self.ns.previous, self.ns.sealed, version
                )
            )
            cleaned += self.retire()
        finally:
            try:
                lock.release()
            except (redis.exceptions.LockError, redis.exceptions.ConnectionError):
                pass  # expired or unreachable: the lease runs out by itself; keep the original error
        mode = "rewrite" if rewrite else "fresh"
        return VersionWrite(
            version, result.hashes, result.bytes, round(seconds, 3), mode, current, cleaned
        )

    def retire(self, skip: str | None = None) -> list[str]:
        """Delete partial versions, put a TTL on complete ones that are neither current nor previous."""
        keep = {
            rv.pointer(self.client, self.ns),
            rv.pointer(self.client, self.ns, "previous"),
            skip,
        }
        deleted = []
        for version in rv.versions(self.client, self.ns):
            if version in keep:
                continue
            info = rv.meta(self.client, self.ns, version)
            if info.get("complete") != "1":
                rv.delete_version(self.client, self.ns, version)
                deleted.append(version)
            elif "expiring" not in info:
                rv.expire_version(self.client, self.ns, version, self.retain_seconds)
        return deleted

    def _drop_stale(self, version: str, written: set[bytes]) -> None:
        """After an in-place rewrite, ids the new data no longer has must not linger."""
        stale = (
            key for key in rv.version_keys(self.client, self.ns, version) if key not in written
        )
        rv.unlink_keys(self.client, stale)

    def _verify(self, version: str, result: BulkResult, rewrite: bool) -> None:
        if not rewrite and result.new_keys != result.hashes:
            raise VersionMismatchError(
                f"{self.ns.prefix(version)}*: {result.hashes} hashes sent but {result.new_keys} new keys"
                " (duplicate ids in the input?)"
            )
        pipe = self.client.pipeline(transaction=False)
        for key, _ in result.sample:
            pipe.hmget(key, self.fields)
        for (key, sent), stored in zip(result.sample, pipe.execute(), strict=True):
            if tuple(stored) != sent:
                raise VersionMismatchError(f"{key.decode()} reads back {stored}, written {sent}")

    def _seal(self, version: str, result: BulkResult, seconds: float) -> None:
        """The meta hash is the completeness marker: written last, after the read-back."""
        info = {"keys": result.hashes, "bytes": result.bytes, "seconds": round(seconds, 3),
                "written_at": datetime.now(UTC).isoformat(), "complete": 1}  # fmt: skip
        rv.seal(self.client, self.ns, version, info)


class RedisResource(ConfigurableResource):
    """Redis for serving stores. `url`: redis://, rediss:// (TLS, password) or unix:// socket."""

    url: str = Field(description="Redis URL (a secret: use EnvVar)")
    socket_timeout: float = Field(default=30.0, description="seconds to wait for a reply")
    lock_seconds: int = Field(default=60, description="writer lock lease, renewed every batch")
    retain_seconds: int = Field(default=86_400, description="TTL given to superseded versions")

    def get_client(self) -> redis.Redis:
        """A connected client; raises `RedisUnavailableError` (password hidden) if Redis is down."""
        try:
            client = redis.Redis.from_url(
                self.url, socket_timeout=self.socket_timeout, socket_connect_timeout=10
            )
            client.ping()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise RedisUnavailableError(
                f"Redis at {redact(self.url)} is unavailable: {redact(str(exc))}"
            ) from None
        return client

    def versioned_store(self, namespace: str, fields: Sequence[str]) -> VersionedHashStore:
        return VersionedHashStore(
            self.get_client(), namespace, fields,
            lock_seconds=self.lock_seconds, retain_seconds=self.retain_seconds,
        )  # fmt: skip
