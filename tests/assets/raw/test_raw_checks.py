"""The raw tables' key and required-column checks find what is wrong, and only in the window."""

from datetime import UTC, datetime

import psycopg
import pytest
from harness import SimulatedPlatform

from data_platform.assets.raw.checks import RULES, duplicate_keys, rows_missing_required

EVENTS = next(rules for rules in RULES if rules.table == "events")
DAY = (datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC))


@pytest.fixture
def events_db(make_database) -> str:
    url = make_database("raw_checks")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA raw")
        conn.execute("CREATE TABLE raw.events (event_id text, ts timestamptz, event_date date, user_id bigint,"
                     " session_id text, event_type text)")
        conn.execute(
            "INSERT INTO raw.events VALUES"
            " ('a', '2026-01-02 01:00+00', '2026-01-02', 1, 's', 'page_view'),"
            " ('a', '2026-01-02 01:00+00', '2026-01-02', 1, 's', 'page_view'),"
            " ('b', '2026-01-02 02:00+00', '2026-01-02', NULL, 's', 'page_view'),"
            " ('c', '2026-01-01 02:00+00', '2026-01-01', NULL, 's', 'page_view'),"
            " ('c', '2026-01-01 02:00+00', '2026-01-01', 1, 's', 'page_view')"
        )
    return url


def test_duplicates_and_nulls_are_counted_in_the_window(events_db: str) -> None:
    with psycopg.connect(events_db) as conn:
        assert duplicate_keys(conn, EVENTS, DAY) == 1
        assert rows_missing_required(conn, EVENTS, DAY) == 1
        assert duplicate_keys(conn, EVENTS, None) == 2
        assert rows_missing_required(conn, EVENTS, None) == 2


def test_a_key_of_the_window_found_in_another_partition_is_a_duplicate(events_db: str) -> None:
    with psycopg.connect(events_db) as conn:
        conn.execute("INSERT INTO raw.events VALUES ('b', '2026-01-09 01:00+00', '2026-01-09', 1, 's', 'page_view')")
        assert duplicate_keys(conn, EVENTS, DAY) == 2  # 'a' twice in the window, 'b' also on 2026-01-09
        assert duplicate_keys(conn, EVENTS, (DAY[1], datetime(2026, 1, 10, tzinfo=UTC))) == 1  # 'b' only


def test_checks_pass_on_the_simulated_platform(simulated_platform: SimulatedPlatform) -> None:
    from dagster import AssetCheckKey, AssetKey

    for rules in RULES:
        key = AssetCheckKey(AssetKey(["raw", rules.table]), "keys_unique_and_required_present")
        record = simulated_platform.instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
        assert record is not None and record.event.dagster_event.event_specific_data.passed, rules.table
