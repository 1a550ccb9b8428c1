"""Runs every health check in its own thread under one deadline, and builds the report.

A check is a function returning a one-line detail when healthy and raising when not;
the exit code of `data-platform health` is non-zero when any check fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass

from dagster import DagsterInstance

from data_platform.resources.redaction import redact
from data_platform.resources.settings import PlatformSettings

TIMEOUT_SECONDS = 3.0


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class HealthContext:
    """What checks may use: the settings, one Dagster instance, the UI's URL."""

    settings: PlatformSettings
    instance: DagsterInstance
    ui_url: str


def check_modules() -> list:
    # Imported here so a module of checks may import this one for HealthContext.
    from data_platform.health import data, servers

    return [servers, data]


def run_checks(settings: PlatformSettings, ui_url: str) -> list[Check]:
    # One instance for every check: opening its storage twice at once races.
    ctx = HealthContext(settings, DagsterInstance.get(), ui_url)
    checks: dict[str, Callable[[], str]] = {}
    for module in check_modules():
        checks.update(module.checks(ctx))
    # No `with`: leaving it would wait for a hung check, and the report must not.
    pool = ThreadPoolExecutor(max_workers=len(checks))
    futures = {name: pool.submit(fn) for name, fn in checks.items()}
    deadline = time.monotonic() + TIMEOUT_SECONDS
    results = [_result(name, future, deadline) for name, future in futures.items()]
    pool.shutdown(wait=False, cancel_futures=True)
    return results


def missing(name: str) -> Callable[[], str]:
    """A check that fails because its system has no URL configured."""

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
