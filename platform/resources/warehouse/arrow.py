"""Arrow on the way in and out of the warehouse: normalising, window checks, CSV for COPY."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

COPY_CHUNK_ROWS = 100_000
UTC_US = pa.timestamp("us", "UTC")


def to_arrow(data: pa.Table | pd.DataFrame, json_columns: Sequence[str] = ()) -> pa.Table:
    """An Arrow table from Arrow or pandas, with JSON columns as JSON text."""
    if isinstance(data, pd.DataFrame):
        # Serialise objects before Arrow sees them: it would infer one struct for all rows and
        # add every other row's keys as nulls.
        present = [c for c in json_columns if c in data.columns]
        data = data.assign(**{c: data[c].map(_json_text) for c in present})
        return pa.Table.from_pandas(data, preserve_index=False)
    for name in json_columns:
        if name in data.column_names and not pa.types.is_string(data.schema.field(name).type):
            values = [_json_text(v) for v in data.column(name).to_pylist()]
            data = data.set_column(data.schema.get_field_index(name), name, pa.array(values, pa.string()))
    return data


def _json_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def utc(value: datetime | date) -> datetime:
    """A window bound as an aware UTC datetime (dates are midnight UTC)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def as_utc_timestamps(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A date or timestamp column as UTC timestamps (naive timestamps are taken as UTC)."""
    if pa.types.is_timestamp(column.type) and column.type.tz:
        return pc.cast(column, UTC_US)
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return pc.assume_timezone(pc.cast(column, pa.timestamp("us")), "UTC")
    raise TypeError(f"a window column must be a date or timestamp, not {column.type}")


def rows_outside(data: pa.Table, column: str, start: datetime, end: datetime) -> int:
    """How many rows fall outside [start, end) (nulls count as outside)."""
    if column not in data.column_names:
        raise ValueError(f"the data has no window column {column!r}")
    values = as_utc_timestamps(data.column(column))
    low, high = pa.scalar(utc(start), UTC_US), pa.scalar(utc(end), UTC_US)
    inside = pc.and_(pc.greater_equal(values, low), pc.less(values, high)).fill_null(False)
    return len(data) - pc.sum(inside).as_py() if len(data) else 0


def csv_chunks(data: pa.Table) -> Iterator[bytes]:
    """CSV for `COPY ... (FORMAT csv)`: strings quoted, NULL as an unquoted empty field."""
    options = pacsv.WriteOptions(include_header=False, batch_size=COPY_CHUNK_ROWS)
    data = naive_utc(data)
    for offset in range(0, len(data), COPY_CHUNK_ROWS):
        buffer = io.BytesIO()
        pacsv.write_csv(data.slice(offset, COPY_CHUNK_ROWS), buffer, options)
        yield buffer.getvalue()


def naive_utc(data: pa.Table) -> pa.Table:
    """Zone-aware timestamps as naive UTC wall time: Arrow's CSV writer formats them ~30x faster,
    and the COPY runs with the session in UTC, so timestamptz columns read them as UTC."""
    for i, field in enumerate(data.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz:
            data = data.set_column(i, field.name, pc.cast(data.column(i), pa.timestamp(field.type.unit)))
    return data


def arrow_type(data_type: str, precision: int | None, scale: int | None) -> pa.DataType | None:
    """The Arrow type for a column described by information_schema (JSON reads back as text).

    None (infer from the values) for a numeric without declared precision.
    """
    mapping = {
        "bigint": pa.int64(), "integer": pa.int32(), "smallint": pa.int16(),
        "double precision": pa.float64(), "real": pa.float32(), "boolean": pa.bool_(),
        "date": pa.date32(), "timestamp with time zone": UTC_US, "timestamp without time zone": pa.timestamp("us"),
    }  # fmt: skip
    if data_type == "numeric":
        return pa.decimal128(precision, scale or 0) if precision else None
    return mapping.get(data_type, pa.string())


def from_rows(rows: list[tuple], names: Sequence[str], types: Sequence[pa.DataType | None]) -> pa.Table:
    """Build an Arrow table from fetched rows with the table's own column types."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = [pa.array(list(values), type=t) for values, t in zip(columns, types, strict=True)]
    return pa.Table.from_arrays(arrays, names=list(names))
