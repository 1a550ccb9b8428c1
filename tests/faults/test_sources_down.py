"""A source down: the step retries, then fails naming the system (also in the incident
report); once the source is back, a rerun completes with no duplicate row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dagster import DagsterEventType

from data_platform.assets.raw.app_tables import LATE_COMMIT_MARGIN
from data_platform.local.processes import free_port
from data_platform.resources.rates_api import RatesApiResource

DAY = date(2026, 1, 2)  # the shop fixture's day under test

USERS = (["lake", "users"], ["raw", "users"])
RATES = (["lake", "exchange_rates"], ["raw", "exchange_rates"])


def retries_and_error(result) -> tuple[int, str]:
    retries = sum(e.event_type == DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)
    failures = [e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure]
    return retries, "\n".join(failures)


def test_app_db_down_then_back(shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_APP_DB_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/app")
    failed = shop.run(*USERS)
    assert not failed.success
    retries, error = retries_and_error(failed)
    assert retries == 2 and "app DB unreachable" in error and "Connection refused" in error
    assert "app DB unreachable" in shop.incident(failed)

    monkeypatch.setenv("PLATFORM_APP_DB_URL", shop.app_db_url)
    for _ in range(2):  # the rerun, and one more: the same rows, never twice
        assert shop.run(*USERS).success
    warehouse = shop.rows(shop.warehouse_url, "raw", "users")
    # The day's window, reopened by the margin for rows committed late (DAY is not the first day).
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC) - LATE_COMMIT_MARGIN
    end = start + LATE_COMMIT_MARGIN + timedelta(days=1)
    source = [row for row in shop.rows(shop.app_db_url, "public", "users") if start <= row[6] < end]
    assert warehouse == source and len(source) > 0
    assert len({row[0] for row in warehouse}) == len(warehouse)


def test_rates_api_down_then_back(shop) -> None:
    quick = {"max_attempts": 2, "backoff_seconds": 0.05, "timeout_seconds": 1.0}
    dead = RatesApiResource(url=f"http://127.0.0.1:{free_port()}", **quick)
    failed = shop.run(*RATES, resources={"rates_api": dead})
    retries, error = retries_and_error(failed)
    assert not failed.success and retries == 2
    assert "RatesApiError" in error and "after 2 attempts" in error and str(DAY) in error
    assert "rates" in shop.incident(failed)

    for _ in range(2):
        assert shop.run(*RATES).success
    rows = shop.rows(shop.warehouse_url, "raw", "exchange_rates")
    assert [(r[0], r[1]) for r in rows] == [(DAY, "KRW"), (DAY, "USD")]
