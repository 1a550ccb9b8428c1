"""The write contract: how an asset's rows are written, parsed and validated in one place.

Assets state it in their definition metadata with Dagster's names where they exist
(`partition_expr`, as Dagster's own database IO managers call the partition column):

    write_mode        "partition" (replace the run's window), "replace" (staging swap) or "merge"
    partition_expr    the date/timestamp column that places a row in a partition
    primary_key       key columns: unique in every write (audited before publishing), merge key
    version_column    merge: the incoming row wins only when this is newer
    json_columns      columns stored as jsonb / SUPER
    not_null          columns audited before publishing: no row may lack them
    on_schema_change  "fail" (a migration is deliberate) or "rebuild" (copies rebuilt whole)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from data_platform.resources.warehouse.arrow import utc

if TYPE_CHECKING:  # the lake's file source imports this module
    from data_platform.resources.warehouse.source import Source
    from data_platform.resources.warehouse.sql import TableRef

WRITE_MODES = ("partition", "replace", "merge")
SCHEMA_CHANGES = ("fail", "rebuild")
# Read for older definitions; `partition_expr` is the name to use.
LEGACY_PARTITION_KEY = "partition_column"


class ContractError(ValueError):
    """An asset's write metadata is missing something or contradicts itself."""


class SchemaDriftError(ValueError):
    """The data's columns differ from the table's: changing a table is a deliberate migration."""


def _names(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class WriteContract:
    """How rows are written to a warehouse-like table (warehouse or serving copy)."""

    write_mode: str = "replace"
    partition_expr: str | None = None
    primary_key: tuple[str, ...] = ()
    version_column: str | None = None
    json_columns: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    on_schema_change: str = "fail"

    def __post_init__(self) -> None:
        for name in ("primary_key", "json_columns", "not_null"):  # lists from metadata become tuples
            object.__setattr__(self, name, _names(getattr(self, name)))
        if self.write_mode not in WRITE_MODES:
            raise ContractError(f"write_mode must be one of {WRITE_MODES}, not {self.write_mode!r}")
        if self.on_schema_change not in SCHEMA_CHANGES:
            raise ContractError(f"on_schema_change must be one of {SCHEMA_CHANGES}, not {self.on_schema_change!r}")
        if self.write_mode == "merge" and not (self.primary_key and self.version_column):
            raise ContractError("write_mode 'merge' needs primary_key and version_column")
        if self.write_mode == "partition" and not self.partition_expr:
            raise ContractError("write_mode 'partition' needs partition_expr")

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None, partitioned: bool = False) -> WriteContract:
        """The contract stated in an asset's metadata; the mode defaults by partitioning."""
        metadata = metadata or {}
        mode = metadata.get("write_mode") or ("partition" if partitioned else "replace")
        contract = cls(
            write_mode=mode, partition_expr=partition_expr_of(metadata), primary_key=metadata.get("primary_key"),
            version_column=metadata.get("version_column"), json_columns=metadata.get("json_columns"),
            not_null=metadata.get("not_null"), on_schema_change=metadata.get("on_schema_change", "fail"),
        )  # fmt: skip
        if contract.write_mode == "partition" and not partitioned:
            raise ContractError("write_mode 'partition' needs a time-partitioned asset")
        return contract

    def metadata(self) -> dict[str, Any]:
        """The contract as asset metadata (what `from_metadata` reads back)."""
        values = {
            "write_mode": self.write_mode, "partition_expr": self.partition_expr,
            "primary_key": list(self.primary_key), "version_column": self.version_column,
            "json_columns": list(self.json_columns), "not_null": list(self.not_null),
            "on_schema_change": self.on_schema_change,
        }  # fmt: skip
        return {k: v for k, v in values.items() if v not in (None, [], "fail")}


def partition_expr_of(metadata: Mapping[str, Any] | None) -> str | None:
    """Just the partition column of an asset's metadata (lake writes split by it)."""
    metadata = metadata or {}
    return metadata.get("partition_expr") or metadata.get(LEGACY_PARTITION_KEY) or None


def check_window(source: Source, column: str, start: datetime, end: datetime) -> None:
    """Refuse rows outside the window: a rerun deletes only the window, so they would pile up."""
    if column not in source.schema.names:
        raise ValueError(f"the data has no window column {column!r}")
    outside = source.rows_outside(column, start, end)
    if outside:
        raise ValueError(
            f"{outside} of {source.num_rows} rows have {column!r} outside the window "
            f"[{utc(start).isoformat()}, {utc(end).isoformat()})"
        )


def check_columns(ref: TableRef, table_columns: Sequence[str], data_columns: Sequence[str]) -> None:
    """Schema drift is explicit: name the columns that one side has and the other lacks."""
    extra = [c for c in data_columns if c not in table_columns]
    missing = [c for c in table_columns if c not in data_columns]
    if extra:
        raise SchemaDriftError(f"{ref.name} has no columns {extra} that the data has; add them with a migration")
    if missing:
        raise SchemaDriftError(f"the data lacks columns {missing} of {ref.name}")

