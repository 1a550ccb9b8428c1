"""A fresh warehouse database per test module, with small hand-made `raw` tables.

The rows cover the cases the definitions turn on: a refunded order, a soft-deleted
order, a KRW order placed after midnight in a session that started the day before, a
late event that moves a session's start (and channel) to the previous day, a user who
shows up in both variants, an event without experiments, and an order without a session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import psycopg
import pytest
from dagster import DailyPartitionsDefinition
from harness import RAW_DDL
from psycopg import sql

from data_platform.resources.warehouse.resource import WarehouseResource

PARTITIONS = DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")
CHECKOUT, BANNER = "checkout_button", "free_shipping_banner"


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 1, day, hh, mm, tzinfo=UTC)


# event_id, ts, user_id, session_id, channel, experiments
EVENTS = [
    ("e1", at(10, 10), 1, "s1", "ads", {CHECKOUT: "control"}),
    ("e2", at(10, 10, 5), 1, "s1", "ads", {CHECKOUT: "control"}),
    ("e3", at(10, 11), 2, "s2", "organic", {CHECKOUT: "treatment"}),
    ("e4", at(10, 12), 1, "s3", "email", {CHECKOUT: "control"}),
    ("e5", at(10, 23, 50), 3, "s4", "ads", {CHECKOUT: "treatment"}),  # session spans midnight
    ("e6", at(11, 0, 10), 3, "s4", "organic", {CHECKOUT: "treatment"}),
    ("e8", at(11, 0, 30), 5, "s6", "organic", {CHECKOUT: "control"}),
    ("e9", at(10, 23, 59), 5, "s6", "email", {CHECKOUT: "control"}),  # late: moves s6 to day 10, email
    ("e10", at(10, 9), 6, "s7", "organic", {CHECKOUT: "treatment", BANNER: "control"}),
    ("e11", at(11, 8), 6, "s8", "ads", {CHECKOUT: "control", BANNER: "control"}),  # user 6 in both variants
    ("e13", at(10, 8), 7, "s9", "email", {}),
    ("e14", at(10, 8, 10), 7, "s9", "email", {CHECKOUT: "control"}),
    ("e15", at(11, 14), 8, "s10", "organic", {CHECKOUT: "treatment"}),
    ("e16", at(12, 10), 2, "s11", "ads", {CHECKOUT: "treatment", BANNER: "treatment"}),
]
# order_id, user_id, session_id, amount, currency, status, created_at, deleted_at
ORDERS = [
    (1, 1, "s1", "100.00", "USD", "paid", at(10, 10, 6), None),
    (2, 1, "s1", "50.00", "USD", "refunded", at(10, 10, 7), None),
    (3, 3, "s4", "20000.00", "KRW", "paid", at(11, 0, 20), None),  # KRW at day 11's rate
    (4, 2, "s2", "30.00", "USD", "paid", at(10, 11, 5), at(10, 12)),  # soft-deleted
    (5, 8, "s10", "12345.00", "KRW", "paid", at(11, 14, 30), None),
    (6, 5, "s6", "15.50", "USD", "refunded", at(11, 0, 40), None),
    (7, 2, "s11", "40.00", "USD", "paid", at(12, 10, 5), None),
    (8, 9, None, "10.00", "USD", "paid", at(10, 15), None),  # no session
]
KRW_PER_DAY = {10: "0.00075", 11: "0.0008", 12: "0.0007"}



def load_raw(conn: psycopg.Connection, events: list[tuple] = EVENTS) -> None:
    for statement in RAW_DDL:
        conn.execute(statement)
    insert_events(conn, events)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO raw.orders VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(o, u, s, a, c, st, ts, deleted or ts, deleted) for o, u, s, a, c, st, ts, deleted in ORDERS],
        )
        for day, krw in KRW_PER_DAY.items():
            cur.execute("INSERT INTO raw.exchange_rates VALUES (%s, 'USD', 1), (%s, 'KRW', %s)",
                        (date(2026, 1, day), date(2026, 1, day), krw))  # fmt: skip


def insert_events(conn: psycopg.Connection, events: list[tuple]) -> None:
    conn.cursor().executemany(
        "INSERT INTO raw.events VALUES (%s, %s, %s, %s, %s, 'page_view', '/', %s, %s::jsonb, 'test')",
        [(e, ts, ts.date(), u, s, ch, json.dumps(x)) for e, ts, u, s, ch, x in events],
    )


@pytest.fixture(scope="module")
def raw_rows():
    """The rows and their loaders, for a test that builds its own database from them."""
    return EVENTS, load_raw, insert_events


@pytest.fixture(scope="module")
def warehouse_url(stack_env: dict[str, str], request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of this module's own (dropped and recreated), loaded with the raw rows."""
    name = f"summary_{request.module.__name__.rsplit('.', 1)[-1]}"
    server_url = stack_env["PLATFORM_WAREHOUSE_URL"]
    url = server_url.replace("/warehouse?", f"/{name}?")
    assert url != server_url
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(url, autocommit=True) as conn:
        load_raw(conn)
    yield url


@pytest.fixture(scope="module")
def warehouse(warehouse_url: str) -> WarehouseResource:
    return WarehouseResource(url=warehouse_url)


@pytest.fixture(scope="module")
def other_warehouse(make_database) -> WarehouseResource:
    """A second warehouse with the same raw rows, as another deployment on this code would have."""
    url = make_database("summary_other")
    with psycopg.connect(url, autocommit=True) as conn:
        load_raw(conn)
    return WarehouseResource(url=url)


@pytest.fixture(scope="module")
def fetch(warehouse_url: str):
    """Run a query on the module's database and return all rows."""

    def run(query: str, params: tuple | None = None) -> list[tuple]:
        with psycopg.connect(warehouse_url) as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            return conn.execute(query, params).fetchall()

    return run


@pytest.fixture(scope="module")
def partitions() -> DailyPartitionsDefinition:
    return PARTITIONS
