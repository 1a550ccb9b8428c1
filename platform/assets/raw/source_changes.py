"""What an incremental load changes, and where it belongs: the shared vocabulary of corrections.

A raw load reports in its materialization metadata the *data days* its changed rows belong
to (`data_days`: an order's `created_at` date, not the day it was modified). A merge first
announces them in an observation, recorded before it writes: its rerun after a crash
finds nothing left to change, so the announcement is what keeps the signal. The
corrections sensor turns those days into runs of the summary and production partitions
that read them, through each dependency's partition mapping.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from dagster import MetadataValue
from psycopg import sql

from data_platform.resources.lake.tables import utc_days
from data_platform.resources.warehouse.read import table_columns
from data_platform.resources.warehouse.sql import TableRef

DATA_DAYS = "data_days"
ANNOUNCED = "announced"  # an observation's mark: days a write is about to change
CHUNK = 5_000  # keys per IN list: short statements on PostgreSQL and Redshift alike


def announcement(days: list[str]) -> dict:
    """The metadata of an observation announcing the data days a write is about to change."""
    return {DATA_DAYS: MetadataValue.json(days), ANNOUNCED: True}


def _chunks(values: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for offset in range(0, len(values), size):
        yield values[offset : offset + size]


def stored_versions(conn: psycopg.Connection, ref: TableRef, key: str, version: str, keys: list[int]) -> dict:
    """`key → version` of the warehouse rows among `keys` (empty when the table is new)."""
    if not table_columns(conn, ref):
        return {}
    stored: dict = {}
    for chunk in _chunks(keys):
        query = sql.SQL("SELECT {k}, {v} FROM {t} WHERE {k} IN ({values})").format(
            k=sql.Identifier(key), v=sql.Identifier(version), t=ref.ident,
            values=sql.SQL(", ").join(map(sql.Literal, chunk)),
        )  # fmt: skip
        stored.update(conn.execute(query).fetchall())
    return stored


def newer_rows(conn: psycopg.Connection, ref: TableRef, rows: pa.Table, key: str, version: str) -> pa.Table:
    """The incoming rows a merge by `key` writes: keys not stored yet, or newer than the stored row."""
    stored = stored_versions(conn, ref, key, version, pc.unique(rows[key]).to_pylist())
    keep = [
        stored.get(k) is None or stored[k] < v
        for k, v in zip(rows[key].to_pylist(), rows[version].to_pylist(), strict=True)
    ]
    return rows.filter(pa.array(keep, pa.bool_()))


def data_days(rows: pa.Table, day_column: str) -> list[str]:
    """The sorted distinct UTC days of `day_column`: the data days the rows belong to."""
    if not rows.num_rows:
        return []
    return sorted({day.isoformat() for day in pc.unique(utc_days(rows[day_column])).to_pylist() if day})


def gone_keys(conn: psycopg.Connection, ref: TableRef, key: str, source_keys: pa.Array, before: datetime) -> list[int]:
    """Keys live in the warehouse (not deleted, last changed before `before`) but absent from the source."""
    if not table_columns(conn, ref):
        return []
    query = sql.SQL("SELECT {k} FROM {t} WHERE deleted_at IS NULL AND modified_at < {before}").format(
        k=sql.Identifier(key), t=ref.ident, before=sql.Literal(before)
    )
    live = pa.array([row[0] for row in conn.execute(query).fetchall()], pa.int64())
    return sorted(live.filter(pc.invert(pc.is_in(live, value_set=source_keys))).to_pylist())


def tombstones(
    conn: psycopg.Connection, ref: TableRef, schema: pa.Schema, key: str, keys: list[int], at: datetime
) -> pa.Table:
    """The warehouse rows of hard-deleted `keys`, marked deleted (and modified) at `at`."""
    found: list[dict] = []
    for chunk in _chunks(keys):
        query = sql.SQL("SELECT {cols} FROM {t} WHERE {k} IN ({values})").format(
            cols=sql.SQL(", ").join(map(sql.Identifier, schema.names)), t=ref.ident,
            k=sql.Identifier(key), values=sql.SQL(", ").join(map(sql.Literal, chunk)),
        )  # fmt: skip
        found.extend(dict(zip(schema.names, row, strict=True)) for row in conn.execute(query).fetchall())
    return pa.Table.from_pylist([{**row, "modified_at": at, "deleted_at": at} for row in found], schema=schema)
