"""Small hand-made raw rows for the production layer's tests.

They cover what the feature definitions turn on: a session spanning midnight, a
session starting just before the 7-day window, a session whose later event belongs to
another user, events after D, a refunded order, a soft-deleted order, KRW orders at
their own day's rate, orders just outside the 30-day window, a user missing from
`raw.users`, and a user with orders but no events.
"""

import json
from datetime import UTC, date, datetime, timedelta

import psycopg
from harness import RAW_DDL


def at(month: int, day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, ss, tzinfo=UTC)


USERS = [(1, "ads"), (2, "organic"), (3, "email"), (5, "referral")]  # user 4 is missing
# event_id, ts, user_id, session_id
EVENTS = [
    ("e01", at(1, 20, 10), 1, "s0"),
    ("e02", at(1, 24, 23, 59), 1, "s_mid"),  # starts before the 7-day window of Jan 31
    ("e03", at(1, 25, 0, 1), 1, "s_mid"),
    ("e04", at(1, 30, 23, 50), 1, "s1"),  # spans midnight
    ("e05", at(1, 31, 0, 10), 1, "s1"),
    ("e06", at(1, 25, 0, 0), 2, "s2"),  # exactly the window start of Jan 31
    ("e07", at(1, 28, 9), 2, "s6"),
    ("e08", at(1, 28, 9, 5), 3, "s6"),  # s6 belongs to user 2 (its earliest event)
    ("e09", at(2, 1, 0, 0), 2, "s3"),  # after Jan 31
    ("e10", at(1, 2, 8), 3, "s4"),
    ("e11", at(1, 31, 12, 0, 7), 4, "s5"),
    ("e12", at(1, 30, 8), 4, "s7"),
]
# order_id, user_id, amount, currency, status, created_at, deleted_at
ORDERS = [
    (1, 1, "100.00", "USD", "paid", at(1, 15, 10), None),
    (2, 1, "50.00", "USD", "refunded", at(1, 20, 10), None),
    (3, 1, "30.00", "USD", "paid", at(1, 21, 10), at(1, 22, 0)),  # soft-deleted
    (4, 2, "10000.00", "KRW", "paid", at(1, 28, 9, 3), None),
    (5, 2, "20.00", "USD", "paid", at(1, 1, 23), None),  # before the 30-day window of Jan 31
    (6, 2, "5.00", "USD", "paid", at(2, 1, 0), None),  # after Jan 31
    (7, 3, "12345.00", "KRW", "paid", at(1, 31, 23, 59, 59), None),
    (8, 5, "70.00", "USD", "paid", at(1, 30, 10), None),  # user without events
    (9, 4, "15.25", "USD", "paid", at(1, 30, 9), None),
    (10, 3, "3.33", "USD", "paid", at(1, 2, 0, 0), None),  # exactly the window start of Jan 31
]


def krw_rate(day: date) -> str:
    return f"{0.00070 + day.day * 0.000002:.10f}"


RATES = [
    (day, currency, "1" if currency == "USD" else krw_rate(day))
    for day in (date(2026, 1, 1) + timedelta(days=i) for i in range(32))
    for currency in ("USD", "KRW")
]



def load_raw(conn: psycopg.Connection) -> None:
    for statement in RAW_DDL:
        conn.execute(statement)
    signup = at(1, 1, 0)
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO raw.users VALUES (%s, %s, %s, 'KR', %s, %s, %s, NULL)",
            [(u, f"u{u}@example.com", ch, signup, signup, signup) for u, ch in USERS],
        )
        cur.executemany(
            "INSERT INTO raw.events VALUES (%s, %s, %s, %s, %s, 'page_view', '/', 'ads', %s::jsonb, 'test')",
            [(e, ts, ts.date(), u, s, json.dumps({})) for e, ts, u, s in EVENTS],
        )
        cur.executemany(
            "INSERT INTO raw.orders VALUES (%s, %s, 'sx', %s, %s, %s, %s, %s, %s)",
            [
                (o, u, a, c, st, ts, deleted or ts, deleted)
                for o, u, a, c, st, ts, deleted in ORDERS
            ],
        )
        cur.executemany("INSERT INTO raw.exchange_rates VALUES (%s, %s, %s)", RATES)
