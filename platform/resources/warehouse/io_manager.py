"""An IO manager that stores assets as warehouse tables `[schema, table]`.

How an asset is written is its `WriteContract`, read from its definition metadata
(`write_mode`, `partition_expr`, `primary_key`, `version_column`, `json_columns`, ...). A
partitioned output writes its time window (a whole partition range in a single-run
backfill); inputs read that window back. An output is an Arrow table or pandas frame, or
`LakeFiles`: the upstream lake asset's files by reference, loaded where they lie (streamed
into PostgreSQL in batches, COPYed by Redshift from S3); their URIs become the
`loaded_from` metadata, beside the lake asset's own `path`. A failed audit fails the step
with the check's name, the window and the offending keys as metadata; the table keeps its
previous rows.
"""

# No `from __future__ import annotations` here: Dagster reads `ResourceDependency[...]` at
# runtime, and a string annotation makes it reject the nested resource.
from datetime import datetime

import dagster as dg
import pandas as pd
import pyarrow as pa

from data_platform.resources.lake.files import LakeFiles
from data_platform.resources.warehouse.contract import WriteContract, partition_expr_of
from data_platform.resources.warehouse.engine import AuditError, WarehouseEngine
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.source import LakeFilesSource, Source, as_source

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


def _preview(source: Source) -> dg.MetadataValue:
    return dg.MetadataValue.md(source.preview(PREVIEW_ROWS).to_pandas().to_markdown(index=False))


def _lineage(source: Source) -> dict[str, dg.MetadataValue]:
    """Where the rows came from, when they were loaded straight from lake files."""
    if not isinstance(source, LakeFilesSource):
        return {}
    uris = source.describe()
    return {"loaded_from": dg.MetadataValue.path(uris[0]) if len(uris) == 1 else dg.MetadataValue.json(uris)}


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Writes asset outputs to the warehouse atomically and reads them back as pandas or Arrow."""

    warehouse: dg.ResourceDependency[WarehouseResource]

    def _engine(self) -> WarehouseEngine:
        return self.warehouse.engine()

    def handle_output(self, context: dg.OutputContext, obj: pa.Table | pd.DataFrame | LakeFiles | None) -> None:
        if obj is None:
            return
        contract = WriteContract.from_metadata(context.definition_metadata, context.has_asset_partitions)
        schema, table = table_of(context.asset_key)
        data, window = as_source(obj, contract.json_columns), window_of(context)
        shown = f"[{window[0].isoformat()}, {window[1].isoformat()})" if window else "whole table"
        try:
            stats = self._engine().write(schema, table, data, contract, window)
        except AuditError as failed:
            raise dg.Failure(
                description=f"{schema}.{table} {shown}: {failed}",
                metadata={"check": failed.check, "table": f"{schema}.{table}", "partition": shown,
                          "offending_keys": dg.MetadataValue.json(failed.keys)},
            ) from None  # fmt: skip
        context.add_output_metadata({
            "rows": stats.rows,
            "table": f"{schema}.{table}",
            "write_mode": contract.write_mode,
            "window": shown,
            "seconds": round(stats.seconds, 3),
            "preview": _preview(data),
            **_lineage(data),
        })  # fmt: skip

    def load_input(self, context: dg.InputContext) -> pa.Table | pd.DataFrame:
        schema, table = table_of(context.asset_key)
        upstream = context.upstream_output
        column = partition_expr_of(upstream.definition_metadata if upstream else None)
        window = window_of(context)
        if column and window:
            data = self._engine().read(schema, table, column, *window)
        else:
            data = self._engine().read(schema, table)
        wants_arrow = context.dagster_type and context.dagster_type.typing_type is pa.Table
        return data if wants_arrow else data.to_pandas()
