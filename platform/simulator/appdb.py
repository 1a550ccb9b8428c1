"""The app's OLTP tables in schema `public`, and idempotent writes to them.

Every row carries `modified_at`; a write only lands where it is newer than the stored row,
so replaying an earlier day never moves the database backwards. Changes drawn for the
future wait in `simulator_changes` until the simulation reaches their time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg
from psycopg import sql

from data_platform.simulator.accounts import Change

DDL = (
    """CREATE TABLE IF NOT EXISTS public.users (
        user_id bigint PRIMARY KEY, email text, channel text, country text,
        signup_at timestamptz, created_at timestamptz, modified_at timestamptz,
        deleted_at timestamptz NULL)""",
    """CREATE TABLE IF NOT EXISTS public.orders (
        order_id bigint PRIMARY KEY, user_id bigint, session_id text, amount numeric(12,2),
        currency text CHECK (currency IN ('USD', 'KRW')),
        status text CHECK (status IN ('paid', 'refunded')),
        created_at timestamptz, modified_at timestamptz, deleted_at timestamptz NULL)""",
    """CREATE TABLE IF NOT EXISTS public.nps_responses (
        response_id bigint PRIMARY KEY, user_id bigint,
        score smallint CHECK (score BETWEEN 0 AND 10), created_at timestamptz)""",
    "CREATE INDEX IF NOT EXISTS users_modified_at ON public.users (modified_at)",
    "CREATE INDEX IF NOT EXISTS orders_modified_at ON public.orders (modified_at)",
    "CREATE TABLE IF NOT EXISTS public.simulator_state (name text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE IF NOT EXISTS public.simulator_changes (
        table_name text, entity_id bigint, due_at timestamptz, changes jsonb NOT NULL,
        PRIMARY KEY (table_name, entity_id, due_at))""",
)
# One statement per table applies any mix of changes; absent keys keep the stored value.
APPLY = {
    "users": """UPDATE public.users SET email = coalesce(%(email)s, email),
        country = coalesce(%(country)s, country),
        deleted_at = coalesce(%(deleted_at)s::timestamptz, deleted_at), modified_at = %(due)s
        WHERE user_id = %(id)s AND modified_at < %(due)s""",
    "orders": """UPDATE public.orders SET status = coalesce(%(status)s, status),
        deleted_at = coalesce(%(deleted_at)s::timestamptz, deleted_at), modified_at = %(due)s
        WHERE order_id = %(id)s AND modified_at < %(due)s""",
}
FIELDS = ("email", "country", "deleted_at", "status")


def lock(conn: psycopg.Connection) -> None:
    """Serialise simulator writers on this database until the transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('data_platform.simulator'))")


def ensure_schema(conn: psycopg.Connection) -> None:
    with conn.transaction():
        lock(conn)
        for statement in DDL:
            conn.execute(statement)


def read_state(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT name, value FROM public.simulator_state").fetchall())


def write_state(conn: psycopg.Connection, values: dict[str, str]) -> None:
    conn.cursor().executemany(
        "INSERT INTO public.simulator_state (name, value) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        list(values.items()),
    )


def _stage(conn: psycopg.Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> sql.Identifier:
    """COPY rows into a temporary copy of `table`, dropped at commit."""
    staged = sql.Identifier(f"incoming_{table}")
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staged))
    conn.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP")
                 .format(staged, sql.Identifier("public", table)))
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staged, names)) as copy:
        for row in rows:
            copy.write_row(row)
    return staged


def upsert(conn: psycopg.Connection, table: str, columns: Sequence[str], rows: list[tuple],
           versioned: bool = True) -> int:
    """Insert rows by key (the first column); replace a stored row only with a newer version.

    Unversioned rows (append-only tables) are inserted once and never replaced.
    """
    if not rows:
        return 0
    staged = _stage(conn, table, columns, rows)
    target, key = sql.Identifier("public", table), sql.Identifier(columns[0])
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    if versioned:
        updates = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns[1:])
        action = sql.SQL("({}) DO UPDATE SET {} WHERE {}.modified_at < EXCLUDED.modified_at").format(
            key, updates, sql.Identifier(table))
    else:
        action = sql.SQL("DO NOTHING")
    query = sql.SQL("INSERT INTO {} AS {} ({}) SELECT {} FROM {} ON CONFLICT {}").format(
        target, sql.Identifier(table), names, names, staged, action)
    return conn.execute(query).rowcount


def add_changes(conn: psycopg.Connection, changes: list[Change]) -> None:
    """Remember changes drawn for the future (again on a rerun: duplicates are ignored)."""
    if changes:
        upsert(conn, "simulator_changes", ("table_name", "entity_id", "due_at", "changes"), changes,
               versioned=False)


def apply_changes(conn: psycopg.Connection, until: datetime) -> int:
    """Apply, in time order, every remembered change due before `until`, then forget them."""
    due = conn.execute(
        "SELECT table_name, entity_id, due_at, changes FROM public.simulator_changes "
        "WHERE due_at < %s ORDER BY due_at, table_name, entity_id", (until,)).fetchall()
    for table, statement in APPLY.items():
        params = [{**dict.fromkeys(FIELDS), **changes, "id": key, "due": at}
                  for name, key, at, changes in due if name == table]
        if params:
            conn.cursor().executemany(statement, params)
    conn.execute("DELETE FROM public.simulator_changes WHERE due_at < %s", (until,))
    return len(due)
