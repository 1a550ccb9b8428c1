"""`serving.channel_summary` in a real app Postgres: the last 90 days, swapped atomically."""

import threading
from datetime import date, timedelta

import psycopg
import pytest
from dagster import materialize

from data_platform.assets.production.checks import serving_matches_warehouse
from data_platform.assets.production.serving_summary import serving_channel_summary

FIRST = date(2025, 10, 1)
DAYS = 100
NEWEST = FIRST + timedelta(days=DAYS - 1)


def summary_rows(days: int) -> list[tuple]:
    return [
        (FIRST + timedelta(days=i), channel, 10 + i, 8, 2, "0.250000", f"{i}.50", f"{i}.25")
        for i in range(days)
        for channel in ("ads", "organic")
    ]


@pytest.fixture(scope="module")
def warehouse_conn(warehouse_url: str):
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA analytics")
        conn.execute(
            "CREATE TABLE analytics.channel_summary (event_date date, channel text, sessions bigint,"
            " unique_users bigint, paid_users bigint, conversion_rate numeric(12,6),"
            " gross_revenue_usd numeric(18,2), net_revenue_usd numeric(18,2))"
        )
        conn.cursor().executemany(
            "INSERT INTO analytics.channel_summary VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            summary_rows(DAYS),
        )
        yield conn


def run(resources: dict):
    return materialize(
        [serving_channel_summary, serving_matches_warehouse],
        resources=resources,
        raise_on_error=False,
    )


def serving(app_url: str, query: str) -> list[tuple]:
    with psycopg.connect(app_url) as conn:
        return conn.execute(query).fetchall()


def test_copies_the_last_90_days_and_checks_them(warehouse_conn, resources, app_url):
    result = run(resources)
    assert result.success
    rows = serving(app_url, "SELECT * FROM serving.channel_summary ORDER BY event_date, channel")
    assert rows == [tuple(r) for r in warehouse_conn.execute(
        "SELECT * FROM analytics.channel_summary WHERE event_date >= %s ORDER BY event_date, channel",
        (NEWEST - timedelta(days=89),),
    ).fetchall()]  # fmt: skip
    assert len(rows) == 180 and rows[0][0] == NEWEST - timedelta(days=89) and rows[-1][0] == NEWEST
    assert [e.passed for e in result.get_asset_check_evaluations()] == [True]
    meta = result.asset_materializations_for_node("serving__channel_summary")[0].metadata
    assert meta["rows"].value == 180 and meta["last_day"].value == NEWEST.isoformat()


def test_concurrent_reader_never_sees_an_empty_table(warehouse_conn, resources, app_url):
    assert run(resources).success
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        with psycopg.connect(app_url, autocommit=True) as conn:
            while not stop.is_set():
                seen.append(
                    conn.execute("SELECT COUNT(*) FROM serving.channel_summary").fetchone()[0]
                )

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for bump in range(4):
            warehouse_conn.execute(
                "UPDATE analytics.channel_summary SET sessions = sessions + %s", (bump,)
            )
            assert run(resources).success
    finally:
        stop.set()
        reader.join()
    assert seen and set(seen) == {180}


def test_new_column_rebuilds_the_copy_in_one_transaction(warehouse_conn, resources, app_url):
    warehouse_conn.execute("ALTER TABLE analytics.channel_summary ADD COLUMN note text DEFAULT 'x'")
    try:
        assert run(resources).success
        assert serving(app_url, "SELECT DISTINCT note FROM serving.channel_summary") == [("x",)]
    finally:
        warehouse_conn.execute("ALTER TABLE analytics.channel_summary DROP COLUMN note")
    assert run(resources).success


def test_check_fails_when_the_copy_differs(warehouse_conn, resources, app_url):
    assert run(resources).success
    with psycopg.connect(app_url) as conn:
        conn.execute("DELETE FROM serving.channel_summary WHERE event_date = %s", (NEWEST,))
    result = serving_matches_warehouse(warehouse=resources["warehouse"], app_db=resources["app_db"])
    assert not result.passed
    assert result.metadata["serving"].value["rows"] == "178"


def test_empty_source_leaves_the_copy_alone(warehouse_conn, resources, app_url):
    assert run(resources).success
    warehouse_conn.execute("ALTER TABLE analytics.channel_summary RENAME TO channel_summary_kept")
    warehouse_conn.execute(
        "CREATE TABLE analytics.channel_summary (LIKE analytics.channel_summary_kept)"
    )
    try:
        result = run(resources)
        assert not result.success
        assert serving(app_url, "SELECT COUNT(*) FROM serving.channel_summary") == [(180,)]
    finally:
        warehouse_conn.execute("DROP TABLE analytics.channel_summary")
        warehouse_conn.execute(
            "ALTER TABLE analytics.channel_summary_kept RENAME TO channel_summary"
        )


def test_a_failed_audit_keeps_the_previous_copy_and_names_the_keys(warehouse_conn, resources, app_url):
    assert run(resources).success
    before = serving(app_url, "SELECT * FROM serving.channel_summary ORDER BY event_date, channel")
    warehouse_conn.execute(
        "INSERT INTO analytics.channel_summary SELECT * FROM analytics.channel_summary"
        " WHERE event_date = %s AND channel = 'ads'", (NEWEST,),
    )  # fmt: skip
    try:
        result = run(resources)
    finally:
        warehouse_conn.execute(
            "DELETE FROM analytics.channel_summary WHERE ctid IN (SELECT max(ctid) FROM analytics.channel_summary"
            " WHERE event_date = %s AND channel = 'ads')", (NEWEST,),
        )  # fmt: skip
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert failure.metadata["check"].value == "primary_key_unique"
    assert failure.metadata["offending_keys"].value == [[NEWEST.isoformat(), "ads"]]
    assert serving(app_url, "SELECT * FROM serving.channel_summary ORDER BY event_date, channel") == before
