"""Health of the systems: each dependency answers (disk, lake, UI, daemon, databases, Redis)."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Callable

from dagster import DagsterInstance

from data_platform.health.runner import HealthContext, missing
from data_platform.resources.settings import PlatformSettings, data_dir

MIN_FREE_DISK_FRACTION = 0.05
DAEMON_HEARTBEAT_MAX_AGE = 120.0


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


def checks(ctx: HealthContext) -> dict[str, Callable[[], str]]:
    """Are the systems there: disk, lake, UI, daemon, databases, Redis, recent runs."""
    settings = ctx.settings
    found: dict[str, Callable[[], str]] = {
        "disk": check_disk,
        "lake": lambda: check_lake(settings),
        "webserver": lambda: check_webserver(ctx.ui_url),
        "daemon": lambda: check_daemon(ctx.instance),
    }
    for name, url in (("warehouse", settings.warehouse_url), ("app_db", settings.app_db_url)):
        found[name] = (lambda u=url: check_postgres(u)) if url else missing(name)
    found["redis"] = (lambda: check_redis(settings.redis_url)) if settings.redis_url else missing("redis")
    return found
