"""The local stack runs real servers, is idempotent, and stops exactly what it started."""

from __future__ import annotations

import json
import signal
import urllib.request
from pathlib import Path

import psycopg
import pytest
import redis

from data_platform.local.processes import StackError, free_port, pid_alive, stop_pid
from data_platform.local.stack import LocalStack, write_env_file


def test_servers_answer(stack: LocalStack, stack_env: dict[str, str]) -> None:
    for name in ("PLATFORM_WAREHOUSE_URL", "PLATFORM_APP_DB_URL"):
        with psycopg.connect(stack_env[name]) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert redis.Redis.from_url(stack_env["PLATFORM_REDIS_URL"]).ping()
    url = stack_env["PLATFORM_RATES_API_URL"] + "/health"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert json.load(response) == {"status": "ok"}


def test_up_twice_is_harmless(stack: LocalStack) -> None:
    before = {s.name: s.pid for s in stack.status()}
    stack.up()
    after = {s.name: s.pid for s in stack.status()}
    assert before == after
    assert all(s.running for s in stack.status())


def test_down_stops_exactly_its_processes(tmp_path: Path) -> None:
    other = LocalStack(tmp_path / "other", ports={"redis": free_port(), "rates": free_port()})
    other.up()
    pids = [s.pid for s in other.status()]
    assert all(pid_alive(pid) for pid in pids)
    assert sorted(other.down()) == ["postgres", "rates", "redis"]
    assert not any(pid_alive(pid) for pid in pids)
    assert other.down() == []  # a second down is harmless too


def test_stale_state_and_dead_server_restart(tmp_path: Path) -> None:
    local = LocalStack(tmp_path / "s", ports={"redis": free_port(), "rates": free_port()})
    local.up()
    try:
        dead = {s.name: s.pid for s in local.status()}["rates"]
        stop_pid(dead, signal.SIGKILL)  # the server died; its PID stays in the state file
        assert not {s.name: s.running for s in local.status()}["rates"]
        local.up()
        assert all(s.running for s in local.status())
        assert {s.name: s.pid for s in local.status()}["rates"] != dead
    finally:
        local.down()


def test_port_in_use_is_one_clear_error(tmp_path: Path, stack: LocalStack) -> None:
    busy = stack.status()  # the session stack's redis already holds its port
    port = json.loads(stack.state_file.read_text())["ports"]["redis"]
    local = LocalStack(tmp_path / "p", ports={"redis": port, "rates": free_port()})
    try:
        with pytest.raises(StackError, match=f"port 127.0.0.1:{port} for redis is in use"):
            local.up()
    finally:
        local.down()
    assert all(s.running for s in busy)


def test_env_file_keeps_unrelated_lines(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("MY_SETTING=1\nPLATFORM_REDIS_URL=old\n")
    write_env_file(env_file, {"PLATFORM_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert env_file.read_text().splitlines() == ["MY_SETTING=1", 'PLATFORM_REDIS_URL="${PLATFORM_REDIS_URL:-redis://127.0.0.1:1/0}"']


def test_redis_keeps_its_data_across_a_restart(tmp_path: Path) -> None:
    """The published user features survive `down` then `up`: Redis persists to an
    append-only file under the data folder."""
    from data_platform.resources.redis.pointers import read_current
    from data_platform.resources.redis.store import VersionedHashStore

    local = LocalStack(tmp_path / "d", ports={"redis": free_port(), "rates": free_port()})
    try:
        client = redis.Redis.from_url(local.up()["PLATFORM_REDIS_URL"])
        store = VersionedHashStore(client, "user_features", ("sessions_7d", "channel"))
        store.write_version("2026-01-02", [(1, 3, "ads"), (2, 0, "organic")])
        before = read_current(client, "user_features")
        client.close()
        assert sorted(local.down()) == ["postgres", "rates", "redis"]
        assert (tmp_path / "d" / "redis" / "appendonly.aof").stat().st_size > 0
        client = redis.Redis.from_url(local.up()["PLATFORM_REDIS_URL"])
        assert read_current(client, "user_features") == before
        assert before == ("2026-01-02", {1: {"sessions_7d": "3", "channel": "ads"},
                                         2: {"sessions_7d": "0", "channel": "organic"}})  # fmt: skip
        client.close()
    finally:
        local.down()
