"""Reading what `<ns>:current` names, and moving it back to an earlier complete version."""

from __future__ import annotations

import redis

from data_platform.resources.redis import versions as rv


class RollbackError(RuntimeError):
    """No complete earlier version to go back to, or the pointer moved meanwhile."""


def read_version(
    client: redis.Redis, namespace: str, version: str
) -> dict[int | str, dict[str, str]]:
    """Every hash of a version keyed by id (ints where the id is numeric): for checks and tests."""
    ns = rv.Namespace(namespace)
    prefix = ns.prefix(version)
    out: dict[int | str, dict[str, str]] = {}
    for batch in rv.in_batches(rv.version_keys(client, ns, version)):
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.hgetall(key)
        for key, values in zip(batch, pipe.execute(), strict=True):
            ident = key.decode()[len(prefix) :]
            out[int(ident) if ident.isdigit() else ident] = {
                k.decode(): v.decode() for k, v in values.items()
            }
    return out


def read_current(
    client: redis.Redis, namespace: str
) -> tuple[str | None, dict[int | str, dict[str, str]]]:
    """The published version and its hashes; `(None, {})` before the first publish."""
    version = rv.pointer(client, rv.Namespace(namespace))
    return version, (read_version(client, namespace, version) if version else {})


def count_keys(client: redis.Redis, namespace: str, version: str) -> int:
    """Entity keys of a version counted by SCAN, independently of what its writer recorded."""
    return sum(1 for _ in rv.version_keys(client, rv.Namespace(namespace), version))


def usable_before(client: redis.Redis, ns: rv.Namespace, version: str) -> list[str]:
    """Complete, non-expiring versions older than `version`, newest first."""
    older = [v for v in rv.versions(client, ns) if v < version]
    return [v for v in reversed(older) if rv.is_complete(client, ns, v, usable=True)]


def rollback(client: redis.Redis, namespace: str) -> str:
    """Point `current` at the previous complete version (and `previous` one further back).

    The switch is a compare-and-set in one server-side step: if a writer publishes
    meanwhile, nothing changes and `RollbackError` says so.
    """
    ns = rv.Namespace(namespace)
    current = rv.pointer(client, ns)
    if current is None:
        raise RollbackError(f"{ns.current} is not set: nothing to roll back")
    previous = rv.pointer(client, ns, "previous")
    candidates = usable_before(client, ns, current)
    if previous in candidates:  # the recorded previous wins over older registered versions
        candidates.remove(previous)
        candidates.insert(0, previous)
    if not candidates:
        raise RollbackError(f"no complete version older than {current} to roll back to")
    target, further = candidates[0], usable_before(client, ns, candidates[0])
    moved = client.eval(
        rv.REPOINT, 2, ns.current, ns.previous, current, target, further[0] if further else ""
    )
    if not moved:
        raise RollbackError(f"{ns.current} changed during the rollback; run it again")
    return target
