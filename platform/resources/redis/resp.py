"""Bulk HSET of many hashes over one connection, pipelined in large batches.

The commands are encoded straight to the Redis protocol (RESP) from a template built
once per field list, so a hash costs one bytes formatting; each batch is one socket
write and its replies are read back before the next. Every reply is checked: an error
reply raises, and the replies' counts of new fields tell new keys from rewritten ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import redis

BATCH_COMMANDS = 5_000


@dataclass
class BulkResult:
    """What a bulk write did: hashes written, of which new keys, and bytes sent."""

    hashes: int = 0
    new_keys: int = 0
    bytes: int = 0
    sample: list[tuple[bytes, tuple[bytes, ...]]] = field(default_factory=list)


def hset_template(fields: Sequence[str]) -> bytes:
    """`HSET key f1 v1 f2 v2 …` in RESP with `%d`/`%b` slots for the key and each value."""
    head = b"*%d\r\n$4\r\nHSET\r\n" % (2 + 2 * len(fields)) + b"$%d\r\n%b\r\n"
    parts = [
        b"$%d\r\n%s\r\n" % (len(name.encode()), name.encode()) + b"$%d\r\n%b\r\n" for name in fields
    ]
    return head + b"".join(parts)


def encode(value: object) -> bytes:
    """Redis stores bytes: text as UTF-8, numbers in their decimal form."""
    if isinstance(value, bytes):
        return value
    return str(value).encode()


class BulkHashWriter:
    """Writes `prefix + user_id` hashes of a fixed field list; rows are `(id, v1, …, vn)`."""

    def __init__(
        self, client: redis.Redis, prefix: str, fields: Sequence[str], batch: int = BATCH_COMMANDS
    ):
        self.client = client
        self.prefix = prefix.encode()
        self.fields = tuple(fields)
        self.template = hset_template(self.fields)
        self.batch = batch

    def write(
        self,
        rows: Iterable[Sequence[object]],
        on_batch: Callable[[], None] | None = None,
        keys_seen: set[bytes] | None = None,
    ) -> BulkResult:
        """Send every row; `on_batch` runs between batches (e.g. to renew a lock)."""
        result = BulkResult()
        template, prefix, width = self.template, self.prefix, len(self.fields)
        conn = self.client.connection_pool.get_connection()
        try:
            packed: list[bytes] = []
            for row in rows:
                key = prefix + encode(row[0])
                slots: list[object] = [len(key), key]
                for value in row[1:]:
                    data = value.encode() if type(value) is str else encode(value)
                    slots += (len(data), data)
                if not packed:  # the first hash of each batch is kept for read-back checks
                    result.sample.append((key, tuple(slots[3::2])))
                packed.append(template % tuple(slots))
                if keys_seen is not None:
                    keys_seen.add(key)
                if len(packed) == self.batch:
                    self._flush(conn, packed, result, width)
                    if on_batch:
                        on_batch()
            if packed:
                self._flush(conn, packed, result, width)
        except BaseException:
            # Replies may still be in flight: the connection is unusable, never pool it.
            conn.disconnect()
            raise
        finally:
            self.client.connection_pool.release(conn)
        return result

    def _flush(
        self, conn: redis.Connection, packed: list[bytes], result: BulkResult, width: int
    ) -> None:
        payload = b"".join(packed)
        conn.send_packed_command([payload], check_health=False)
        # read_response raises on an error reply, so a rejected write (OOM, WRONGTYPE) fails the run.
        replies = [conn.read_response() for _ in packed]
        result.new_keys += sum(1 for added in replies if added == width)
        result.hashes += len(packed)
        result.bytes += len(payload)
        packed.clear()


def per_key(client: redis.Redis, command: str, keys: Iterable[bytes], *args: object) -> int:
    """`COMMAND key *args` once per key (EXPIRE, UNLINK), pipelined as RESP over one
    connection in batches; returns the sum of the integer replies.

    One key per command keeps each command in one cluster slot; packing the bytes here
    instead of through redis-py's pipeline makes it as cheap as a multi-key command.
    """
    name = command.encode()
    head = b"*%d\r\n$%d\r\n%b\r\n" % (2 + len(args), len(name), name)
    tail = b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in map(encode, args))
    total = 0
    conn = client.connection_pool.get_connection()
    try:
        packed: list[bytes] = []
        for key in keys:
            packed.append(head + b"$%d\r\n%b\r\n" % (len(key), key) + tail)
            if len(packed) == BATCH_COMMANDS:
                total += _send(conn, packed)
        if packed:
            total += _send(conn, packed)
    except BaseException:
        conn.disconnect()  # replies may be in flight: never pool this connection
        raise
    finally:
        client.connection_pool.release(conn)
    return total


def _send(conn: redis.Connection, packed: list[bytes]) -> int:
    conn.send_packed_command([b"".join(packed)], check_health=False)
    replies = [conn.read_response() for _ in packed]  # an error reply raises
    packed.clear()
    return sum(r for r in replies if isinstance(r, int))
