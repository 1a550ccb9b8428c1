"""The user-feature query: one SELECT, portable between PostgreSQL and Redshift.

Features of user U as of day D (windows are half-open and end at D+1 00:00 UTC):
- `sessions_7d`: sessions whose start (earliest event) falls in the 7 days ending D and
  whose earliest event is U's;
- `orders_30d`: U's orders created in the 30 days ending D with `deleted_at` null;
- `revenue_30d_usd`: the `paid` ones among those, in USD from `analytics.orders_usd` (the one
  conversion the summaries use too: the rate of the order's `created_at` date);
- `last_seen_at`: U's latest event up to D; `channel`: U's signup channel (`raw.users`).
Only users with an event up to D get features. Window bounds are bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import psycopg
from psycopg import sql

from data_platform.resources.warehouse.sql import TableRef

FIELDS = ("sessions_7d", "orders_30d", "revenue_30d_usd", "last_seen_at", "channel")
EVENTS, ORDERS_USD = TableRef("raw", "events"), TableRef("analytics", "orders_usd")
USERS = TableRef("raw", "users")
FETCH_ROWS = 20_000
# The data's contract: a session spans at most one day (the summary models' session_max_days()).
SESSION_MAX_DAYS = 1

QUERY = sql.SQL("""
WITH seen AS (
  SELECT user_id, MAX(ts) AS last_seen_at FROM {events} WHERE ts < %(end)s GROUP BY user_id
), recent AS (
  SELECT DISTINCT session_id FROM {events} WHERE event_date >= %(start_7d_day)s AND event_date < %(end_day)s
), ranked AS (
  SELECT e.session_id, e.user_id, e.ts,
         ROW_NUMBER() OVER (PARTITION BY e.session_id ORDER BY e.ts, e.event_id) AS rn
  FROM {events} e JOIN recent r ON r.session_id = e.session_id
  WHERE e.event_date >= %(session_lookback_day)s AND e.event_date < %(end_day)s
), sessions AS (
  SELECT user_id, COUNT(*) AS sessions_7d FROM ranked
  WHERE rn = 1 AND ts >= %(start_7d)s GROUP BY user_id
), orders AS (
  SELECT o.user_id, COUNT(*) AS orders_30d,
         SUM(CASE WHEN o.status = 'paid' THEN o.amount_usd ELSE 0 END) AS revenue
  FROM {orders_usd} o
  WHERE o.deleted_at IS NULL AND o.order_date >= %(start_30d_day)s AND o.order_date < %(end_day)s
  GROUP BY o.user_id
)
SELECT s.user_id,
       COALESCE(n.sessions_7d, 0),
       COALESCE(o.orders_30d, 0),
       CAST(ROUND(COALESCE(o.revenue, 0), 2) AS NUMERIC(18, 2)),
       s.last_seen_at,
       COALESCE(u.channel, '')
FROM seen s
LEFT JOIN sessions n ON n.user_id = s.user_id
LEFT JOIN orders o ON o.user_id = s.user_id
LEFT JOIN {users} u ON u.user_id = s.user_id
""").format(events=EVENTS.ident, orders_usd=ORDERS_USD.ident, users=USERS.ident)

COUNT_USERS = sql.SQL("SELECT COUNT(DISTINCT user_id) FROM {} WHERE ts < %(end)s").format(
    EVENTS.ident
)


def window_params(day: date) -> dict[str, datetime | date]:
    """The bounds for day D: 7- and 30-day windows ending D, exclusive end D+1 00:00 UTC, as
    days too (the tables' day columns are indexed: a window reads its days, not all history).
    A session's events lie within SESSION_MAX_DAYS of its start, so ranking the events of the
    7 days' sessions reads that much before them, no more."""
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    return {
        "end": end, "end_day": end.date(), "start_7d": end - timedelta(days=7),
        "start_7d_day": (end - timedelta(days=7)).date(), "start_30d_day": (end - timedelta(days=30)).date(),
        "session_lookback_day": (end - timedelta(days=7 + SESSION_MAX_DAYS)).date(),
    }  # fmt: skip


def stream_features(conn: psycopg.Connection, day: date) -> Iterator[tuple]:
    """Rows `(user_id, *FIELDS)` through a server-side cursor, values ready for Redis.

    Amounts keep two decimals as text and `last_seen_at` is ISO-8601 (`...+00:00`).
    """
    with conn.transaction(), conn.cursor(name=f"user_features_{day:%Y%m%d}") as cur:
        cur.itersize = FETCH_ROWS
        cur.execute(QUERY, window_params(day))
        while batch := cur.fetchmany(FETCH_ROWS):
            for user_id, sessions, orders, revenue, last_seen, channel in batch:
                yield (
                    user_id,
                    sessions,
                    orders,
                    revenue,
                    last_seen.astimezone(UTC).isoformat(),
                    channel,
                )


def count_users(conn: psycopg.Connection, day: date) -> int:
    """Users with any event up to D: the number of hashes version D must hold."""
    return conn.execute(COUNT_USERS, window_params(day)).fetchone()[0]
