"""Running a write plan on a connection: prepare, one transaction, cleanup."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pyarrow as pa
from psycopg import sql

from data_platform.resources.warehouse.arrow import csv_chunks
from data_platform.resources.warehouse.plan import CopyIn, Plan, Step
from data_platform.resources.warehouse.sql import idents

Hook = Callable[[psycopg.Connection], None]


def execute(conn: psycopg.Connection, plan: Plan, data: pa.Table, before_commit: Hook | None = None) -> dict[str, int]:
    """Run a plan: prepare, the transaction (with `before_commit` just before COMMIT), cleanup."""
    counts: dict[str, int] = {}
    run_steps(conn, plan.prepare, data, counts)
    with conn.transaction():
        run_steps(conn, plan.transaction, data, counts)
        if before_commit:
            before_commit(conn)
    run_steps(conn, plan.cleanup, data, counts)
    return counts


def run_steps(conn: psycopg.Connection, steps: list[Step], data: pa.Table, counts: dict[str, int]) -> None:
    with conn.cursor() as cur:
        for step in steps:
            if isinstance(step, CopyIn):
                cur.execute("SET LOCAL TIME ZONE 'UTC'")  # the CSV carries timestamps as UTC wall time
                copy = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(step.table, idents(step.columns))
                with cur.copy(copy) as stream:
                    for chunk in csv_chunks(data.select(list(step.columns))):
                        stream.write(chunk)
                counts["copied"] = counts.get("copied", 0) + len(data)
                continue
            cur.execute(step.query, step.params or None)
            if step.label:
                counts[step.label] = counts.get(step.label, 0) + max(cur.rowcount, 0)
