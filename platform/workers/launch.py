"""`data-platform worker`: check the broker and the instance database, then become a worker."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from data_platform.local.processes import StackError
from data_platform.resources.settings import PlatformSettings, ensure_dagster_home, load_env_file
from data_platform.workers import DEFAULT_QUEUE
from data_platform.workers.preflight import check_broker, check_instance_database


def worker_command(queues: Sequence[str], concurrency: int, name: str, loglevel: str) -> list[str]:
    """The celery worker on the platform's app: one step at a time per slot, no prefetching
    (a step can run for minutes; another worker should take the next one)."""
    return [
        sys.executable, "-m", "celery", "-A", "data_platform.workers.app", "worker",
        "--loglevel", loglevel, "--concurrency", str(concurrency), "--prefetch-multiplier", "1",
        "--hostname", f"{name}@%h", "--queues", ",".join(queues or [DEFAULT_QUEUE]),
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip


def start_worker(queues: Sequence[str], concurrency: int, name: str | None, loglevel: str) -> None:
    """Replace this process by a celery worker (same PID, so it is stopped like any server)."""
    load_env_file()
    ensure_dagster_home()
    settings = PlatformSettings.from_env()
    for variable, value in (("PLATFORM_CELERY_BROKER_URL", settings.celery_broker_url),
                            ("PLATFORM_DAGSTER_PG_URL", settings.dagster_pg_url)):  # fmt: skip
        if not value:
            raise StackError(f"{variable} is not set: run `data-platform services up`")
    check_broker(settings.celery_broker_url)
    check_instance_database(settings.dagster_pg_url)
    command = worker_command(queues, concurrency, name or f"worker-{os.getpid()}", loglevel)
    sys.stdout.flush()
    os.execv(sys.executable, command)
