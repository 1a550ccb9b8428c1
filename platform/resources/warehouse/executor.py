"""Running a write plan on a connection: prepare, one transaction, cleanup.

An `Audit` step that returns rows raises `AuditError` there and then: inside the
transaction that rolls everything back, before it nothing was published yet.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from psycopg import sql

from data_platform.resources.warehouse.arrow import csv_chunks
from data_platform.resources.warehouse.plan import Audit, CopyIn, Plan, Step
from data_platform.resources.warehouse.source import Source
from data_platform.resources.warehouse.sql import idents

Hook = Callable[[psycopg.Connection], None]


class AuditError(ValueError):
    """A blocking audit found offending rows: nothing of this write was published."""

    def __init__(self, check: str, rows: list[tuple]) -> None:
        self.check, self.rows = check, rows
        plain = [[v if v is None or isinstance(v, int | float | str) else str(v) for v in row] for row in rows]
        keys = [row[0] if len(row) == 1 else row for row in plain]
        self.keys = keys  # JSON-ready (dates as ISO text), for metadata and reports
        super().__init__(f"audit {check!r} failed on the new rows (nothing published); offending keys: {keys}")


def execute(conn: psycopg.Connection, plan: Plan, data: Source, before_commit: Hook | None = None) -> dict[str, int]:
    """Run a plan: prepare, the transaction (with `before_commit` just before COMMIT), cleanup."""
    counts: dict[str, int] = {}
    run_steps(conn, plan.prepare, data, counts)
    with conn.transaction():
        run_steps(conn, plan.transaction, data, counts)
        if before_commit:
            before_commit(conn)
    run_steps(conn, plan.cleanup, data, counts)
    return counts


def run_steps(conn: psycopg.Connection, steps: list[Step], data: Source, counts: dict[str, int]) -> None:
    with conn.cursor() as cur:
        for step in steps:
            if isinstance(step, Audit):
                cur.execute(step.query, step.params or None)
                if offending := cur.fetchall():
                    raise AuditError(step.name, offending)
                continue
            if isinstance(step, CopyIn):
                cur.execute("SET LOCAL TIME ZONE 'UTC'")  # the CSV carries timestamps as UTC wall time
                copy = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(step.table, idents(step.columns))
                with cur.copy(copy) as stream:  # batch by batch: lake files never sit in memory whole
                    for table in data.tables(step.columns):
                        for chunk in csv_chunks(table):
                            stream.write(chunk)
                counts["copied"] = counts.get("copied", 0) + data.num_rows
                continue
            cur.execute(step.query, step.params or None)
            if step.label:
                counts[step.label] = counts.get(step.label, 0) + max(cur.rowcount, 0)
