"""Table shaping for the lake: pandas or Arrow in, one Arrow table per UTC day out."""

from collections.abc import Sequence
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def to_arrow(obj: object) -> pa.Table:
    """Accept an Arrow table as is, a pandas frame without its index; refuse anything else."""
    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pd.DataFrame):
        return pa.Table.from_pandas(obj, preserve_index=False)
    raise TypeError(f"the lake stores pyarrow.Table or pandas.DataFrame, not {type(obj).__name__}")


def utc_days(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The UTC date of each value of a date, timestamp or ISO-date string column."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        # Casting a zoned timestamp to date gives the local date; drop the zone to keep UTC.
        column = pc.cast(column, pa.timestamp(column.type.unit))
    return pc.cast(column, pa.date32())


def split_by_day(table: pa.Table, column: str, keys: Sequence[str]) -> dict[str, pa.Table]:
    """One table per partition key (an empty one for a day without rows); no row may be left out."""
    days = utc_days(table[column])
    bounds = pc.min_max(days).as_py()
    if days.null_count == 0 and bounds["min"] == bounds["max"] and str(bounds["min"]) in keys:
        # The usual single-day output: no filtering copy of the data.
        return {key: table if key == str(bounds["min"]) else table.slice(0, 0) for key in keys}
    pieces = {key: table.filter(pc.equal(days, pa.scalar(date.fromisoformat(key)))) for key in keys}
    outside = table.num_rows - sum(piece.num_rows for piece in pieces.values())
    if outside:
        raise ValueError(
            f"{outside} rows have a {column!r} outside partitions {keys[0]}..{keys[-1]} (or null)"
        )
    return pieces
