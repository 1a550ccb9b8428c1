"""Python steps a model may run on its freshly built rows, inside the write transaction.

Some statistics have no portable SQL (the normal CDF is neither in PostgreSQL nor in
Redshift), so a model computes what SQL can (a z statistic) and names a step here that
fills in the rest before the table is swapped in; readers never see a half-done table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psycopg
from psycopg import sql
from scipy.stats import norm

from data_platform.resources.warehouse.sql import TableRef

PostStep = Callable[[psycopg.Connection, TableRef, Sequence[str]], int]


def two_sided_p_value(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z."""
    return float(2.0 * norm.sf(abs(z)))


def p_value_from_z_score(conn: psycopg.Connection, table: TableRef, grain: Sequence[str]) -> int:
    """Set `p_value` = two-sided normal p-value of `z_score` on each row that has a z score."""
    keys = sql.SQL(", ").join(sql.Identifier(c) for c in grain)
    rows = conn.execute(
        sql.SQL("SELECT {}, z_score FROM {} WHERE z_score IS NOT NULL").format(keys, table.ident)
    ).fetchall()
    if not rows:
        return 0
    match = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in grain)
    update = sql.SQL("UPDATE {} SET p_value = %s WHERE {}").format(table.ident, match)
    with conn.cursor() as cur:
        cur.executemany(update, [(two_sided_p_value(float(row[-1])), *row[:-1]) for row in rows])
    return len(rows)


POST_STEPS: dict[str, PostStep] = {"p_value_from_z_score": p_value_from_z_score}
REQUIRED_COLUMNS = {"p_value_from_z_score": ("z_score", "p_value")}
