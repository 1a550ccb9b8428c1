"""An IO manager that stores assets as warehouse tables `[schema, table]`.

How an asset is written comes from its definition metadata:
`write_mode` ("partition" | "replace" | "merge"), `partition_column`, `primary_key`,
`version_column` (merge) and `json_columns`. A partitioned output writes its time window
(a whole partition range in a single-run backfill); inputs read that window back.
"""

# No `from __future__ import annotations` here: Dagster reads `ResourceDependency[...]` at
# runtime, and a string annotation makes it reject the nested resource.
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa

from data_platform.resources.warehouse.arrow import check_window, to_arrow
from data_platform.resources.warehouse.engine import WarehouseEngine, WriteStats
from data_platform.resources.warehouse.resource import WarehouseResource

WRITE_MODES = ("partition", "replace", "merge")
PREVIEW_ROWS = 5


def table_of(asset_key: dg.AssetKey) -> tuple[str, str]:
    if len(asset_key.path) != 2:
        raise ValueError(f"warehouse assets are keyed [schema, table], not {asset_key.to_user_string()}")
    return asset_key.path[0], asset_key.path[1]


def window_of(context: dg.OutputContext | dg.InputContext) -> tuple[datetime, datetime] | None:
    """The partition's (or partition range's) time window, or None for an unpartitioned asset."""
    if not context.has_asset_partitions:
        return None
    window = context.asset_partitions_time_window
    return window.start, window.end


def _list(metadata: Mapping[str, Any], name: str) -> list[str]:
    value = metadata.get(name) or []
    return [value] if isinstance(value, str) else list(value)


def _preview(data: pa.Table) -> dg.MetadataValue:
    return dg.MetadataValue.md(data.slice(0, PREVIEW_ROWS).to_pandas().to_markdown(index=False))


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Writes asset outputs to the warehouse atomically and reads them back as pandas or Arrow."""

    warehouse: dg.ResourceDependency[WarehouseResource]

    def _engine(self) -> WarehouseEngine:
        return self.warehouse.engine()

    def handle_output(self, context: dg.OutputContext, obj: pa.Table | pd.DataFrame | None) -> None:
        if obj is None:
            return
        metadata = context.definition_metadata or {}
        mode = metadata.get("write_mode", "partition" if context.has_asset_partitions else "replace")
        if mode not in WRITE_MODES:
            raise ValueError(f"write_mode must be one of {WRITE_MODES}, not {mode!r}")
        schema, table = table_of(context.asset_key)
        json_columns = _list(metadata, "json_columns")
        data = to_arrow(obj, json_columns)
        window = window_of(context)
        stats = self._write(mode, schema, table, data, window, metadata, json_columns)
        context.add_output_metadata({
            "rows": stats.rows,
            "table": f"{schema}.{table}",
            "write_mode": mode,
            "window": f"[{window[0].isoformat()}, {window[1].isoformat()})" if window else "whole table",
            "seconds": round(stats.seconds, 3),
            "preview": _preview(data),
        })  # fmt: skip

    def _write(self, mode, schema, table, data, window, metadata, json_columns) -> WriteStats:
        engine, primary_key = self._engine(), _list(metadata, "primary_key") or None
        column = metadata.get("partition_column")
        if mode == "replace":
            return engine.replace(schema, table, data, primary_key, json_columns)
        if mode == "merge":
            version = metadata.get("version_column")
            if not (primary_key and version):
                raise ValueError("write_mode 'merge' needs primary_key and version_column metadata")
            if window and column:  # a partition's merge only accepts rows of its own window
                check_window(data, column, *window)
            return engine.merge(schema, table, data, primary_key, version, json_columns)
        if not (window and column):
            raise ValueError("write_mode 'partition' needs a time-partitioned asset and partition_column")
        return engine.write_partition(schema, table, data, column, *window, primary_key, json_columns)

    def load_input(self, context: dg.InputContext) -> pa.Table | pd.DataFrame:
        schema, table = table_of(context.asset_key)
        upstream = context.upstream_output
        metadata = (upstream.definition_metadata if upstream else None) or {}
        column, window = metadata.get("partition_column"), window_of(context)
        if column and window:
            data = self._engine().read(schema, table, column, *window)
        else:
            data = self._engine().read(schema, table)
        wants_arrow = context.dagster_type and context.dagster_type.typing_type is pa.Table
        return data if wants_arrow else data.to_pandas()
