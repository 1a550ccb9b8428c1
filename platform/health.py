"""`data-platform health`: one JSON report of everything the platform needs, fast.

Each check runs in its own thread with a short timeout, so a monitor can call this every
minute; the exit code is non-zero when any check fails, and each failure is named.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass

from dagster import AssetKey, DagsterInstance

from data_platform.resources.redaction import redact
from data_platform.resources.settings import PlatformSettings, data_dir

TIMEOUT_SECONDS = 3.0
MIN_FREE_DISK_FRACTION = 0.05
DAEMON_HEARTBEAT_MAX_AGE = 120.0
# Daily assets must have succeeded within this window (a day's data plus a day of slack).
FRESHNESS_SECONDS = 2 * 86_400
DAILY_ASSETS = ("raw/users", "raw/orders", "raw/exchange_rates", "raw/events")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_postgres(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=2) as conn:
        conn.execute("SELECT 1")
    return "reachable"


def check_redis(url: str) -> str:
    import redis

    redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    return "reachable"


def check_lake(settings: PlatformSettings) -> str:
    from data_platform.resources.lake.resource import LakeResource

    LakeResource(url=settings.lake_url, s3_endpoint_url=settings.s3_endpoint_url).list_files("incidents")
    return f"reachable: {settings.lake_url}"


def check_disk() -> str:
    path = data_dir()
    path.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(path)
    free = usage.free / usage.total
    if free < MIN_FREE_DISK_FRACTION:
        raise RuntimeError(f"only {free:.1%} free on {path} (minimum {MIN_FREE_DISK_FRACTION:.0%})")
    return f"{free:.1%} free ({usage.free // 2**30} GiB) on {path}"


def check_webserver(ui_url: str) -> str:
    with urllib.request.urlopen(f"{ui_url.rstrip('/')}/server_info", timeout=2) as response:
        version = json.load(response).get("dagster_version", "?")
    return f"{ui_url} answers (dagster {version})"


def check_daemon(instance: DagsterInstance) -> str:
    heartbeats = instance.get_daemon_heartbeats()
    if not heartbeats:
        raise RuntimeError("no daemon heartbeat: is dagster-daemon running?")
    age = time.time() - max(beat.timestamp for beat in heartbeats.values())
    if age > DAEMON_HEARTBEAT_MAX_AGE:
        raise RuntimeError(f"last daemon heartbeat {age:.0f}s ago")
    return f"{len(heartbeats)} daemons, last heartbeat {age:.0f}s ago"


def check_freshness(instance: DagsterInstance) -> str:
    stale = []
    for name in DAILY_ASSETS:
        event = instance.get_latest_materialization_event(AssetKey(name.split("/")))
        age = time.time() - event.timestamp if event else None
        if age is None or age > FRESHNESS_SECONDS:
            stale.append(f"{name} ({'never' if age is None else f'{age / 3600:.0f}h ago'})")
    if stale:
        raise RuntimeError("stale: " + ", ".join(stale))
    return f"{len(DAILY_ASSETS)} daily assets fresh"


def run_checks(settings: PlatformSettings, ui_url: str) -> list[Check]:
    # One instance for both instance checks: opening its storage twice at once races.
    instance = DagsterInstance.get()
    checks: dict[str, Callable[[], str]] = {
        "disk": check_disk,
        "lake": lambda: check_lake(settings),
        "webserver": lambda: check_webserver(ui_url),
        "daemon": lambda: check_daemon(instance),
        "freshness": lambda: check_freshness(instance),
    }
    for name, url in (("warehouse", settings.warehouse_url), ("app_db", settings.app_db_url)):
        checks[name] = (lambda u=url: check_postgres(u)) if url else _missing(name)
    checks["redis"] = (lambda: check_redis(settings.redis_url)) if settings.redis_url else _missing("redis")
    # No `with`: leaving it would wait for a hung check, and the report must not.
    pool = ThreadPoolExecutor(max_workers=len(checks))
    futures = {name: pool.submit(fn) for name, fn in checks.items()}
    deadline = time.monotonic() + TIMEOUT_SECONDS
    results = [_result(name, future, deadline) for name, future in futures.items()]
    pool.shutdown(wait=False, cancel_futures=True)
    return results


def _missing(name: str) -> Callable[[], str]:
    def fail() -> str:
        raise RuntimeError(f"no URL configured for {name}")

    return fail


def _result(name: str, future, deadline: float) -> Check:
    try:
        return Check(name, True, future.result(timeout=max(0.0, deadline - time.monotonic())))
    except FutureTimeout:
        return Check(name, False, f"no answer within {TIMEOUT_SECONDS:.0f}s")
    except Exception as exc:  # every failure is reported by name, never raised
        return Check(name, False, redact(f"{type(exc).__name__}: {exc}".strip().splitlines()[0]))


def report(checks: list[Check]) -> dict:
    return {
        "healthy": all(check.ok for check in checks),
        "failing": [check.name for check in checks if not check.ok],
        "checks": [asdict(check) for check in checks],
    }
