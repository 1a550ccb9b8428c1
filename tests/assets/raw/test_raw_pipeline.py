"""The whole raw layer on simulated sources: lake → warehouse, checked against the sources."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import psycopg
import pytest
from harness import SimulatedPlatform, landing_events

START = SimulatedPlatform.START
RAW_TABLES = ("users", "orders", "nps_responses", "exchange_rates", "events")
EVENT_TYPES = {"page_view", "add_to_cart", "purchase"}


@pytest.fixture(scope="module")
def pipeline(simulated_platform: SimulatedPlatform) -> SimulatedPlatform:
    return simulated_platform


def snapshot(pipeline: SimulatedPlatform) -> dict[str, list[tuple]]:
    return {table: pipeline.rows(pipeline.warehouse_url, "raw", table) for table in RAW_TABLES}


def independent_events(lake: Path) -> dict[date, set[str]]:
    by_day: dict[date, set[str]] = defaultdict(set)
    for event_id, event in landing_events(lake).items():
        by_day[event["ts"].date()].add(event_id)
    return by_day


def test_events_equal_an_independent_count_of_landing_files(pipeline: SimulatedPlatform) -> None:
    expected = independent_events(pipeline.lake)
    with psycopg.connect(pipeline.warehouse_url) as conn:
        rows = conn.execute("SELECT event_date, event_id FROM raw.events").fetchall()
    actual: dict[date, set[str]] = defaultdict(set)
    for event_date, event_id in rows:
        actual[event_date].add(event_id)
    assert len(rows) == sum(len(ids) for ids in actual.values())  # one row per event_id
    for offset in range(pipeline.DAYS):
        day = date(2026, 1, 1 + offset)
        assert actual[day] == expected[day], day
    assert len(rows) > 1000


def test_app_tables_equal_the_app_db(pipeline: SimulatedPlatform) -> None:
    for table in ("users", "orders"):
        assert pipeline.rows(pipeline.warehouse_url, "raw", table) == pipeline.rows(pipeline.app_db_url, "public", table)
    assert pipeline.rows(pipeline.warehouse_url, "raw", "nps_responses") == pipeline.rows(pipeline.app_db_url, "public", "nps_responses")


def test_exchange_rates_one_row_per_currency_per_day(pipeline: SimulatedPlatform) -> None:
    with psycopg.connect(pipeline.warehouse_url) as conn:
        rows = conn.execute("SELECT rate_date, currency, usd_per_unit FROM raw.exchange_rates ORDER BY 1, 2").fetchall()
    assert len(rows) == 2 * pipeline.DAYS
    assert {r[1] for r in rows} == {"KRW", "USD"}
    assert all(r[2] == 1 for r in rows if r[1] == "USD")
    assert all(0.0006 < float(r[2]) < 0.0009 for r in rows if r[1] == "KRW")


def test_quarantine_holds_the_malformed_lines(pipeline: SimulatedPlatform) -> None:
    import pyarrow.parquet as pq

    quarantined = sum(
        pq.read_table(path).num_rows for path in (pipeline.lake / "quarantine" / "clickstream").glob("date=*/*.parquet")
    )
    assert quarantined > 0


def test_reruns_and_an_old_backfill_change_nothing(pipeline: SimulatedPlatform) -> None:
    before = snapshot(pipeline)
    # Twice: a write that alternates between two tables or versions would show on the second.
    for _ in range(2):
        pipeline.materialize(date(2026, 1, 2), date(2026, 1, 2))
    pipeline.materialize(START, START)  # a backfill of day 1 after day 4
    assert snapshot(pipeline) == before
