"""Stores assets in the lake as Parquet, one file per partition, replaced atomically on rerun.

Layout: asset key `["lake", name]` → `raw/<name>/date=YYYY-MM-DD/part-00000.parquet` when
partitioned by day, `raw/<name>/part-00000.parquet` when not; other keys join their path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg
import pandas as pd
import pyarrow as pa

from data_platform.resources.lake.files import LakeFiles, visible_parquet_files
from data_platform.resources.lake.resource import LakeResource, WriteInfo
from data_platform.resources.lake.tables import split_by_day, to_arrow
from data_platform.resources.warehouse.contract import partition_expr_of

PART_FILE = "part-00000.parquet"


class LakeParquetEngine:
    """Maps assets and partitions to lake files and moves tables in and out of them."""

    def __init__(self, lake: LakeResource) -> None:
        self.lake = lake

    @staticmethod
    def folder(asset_key: dg.AssetKey) -> str:
        path = asset_key.path
        return f"raw/{path[1]}" if len(path) == 2 and path[0] == "lake" else "/".join(path)

    def partition_file(self, asset_key: dg.AssetKey, partition_key: str | None) -> str:
        folder = self.folder(asset_key)
        return (
            f"{folder}/date={partition_key}/{PART_FILE}"
            if partition_key
            else f"{folder}/{PART_FILE}"
        )

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        table = to_arrow(obj)
        if not context.has_asset_partitions:
            info = self.lake.write_parquet(self.partition_file(context.asset_key, None), table)
            context.add_output_metadata(self._metadata([info], []))
            return
        keys = list(context.asset_partition_keys)
        column = partition_expr_of(context.definition_metadata)
        if column:
            pieces = split_by_day(table, column, keys)
        elif len(keys) == 1:
            pieces = {keys[0]: table}
        else:
            raise ValueError(
                f"{context.asset_key.to_user_string()} wrote partitions {keys[0]}..{keys[-1]} in one"
                " run: name its date column in the asset's metadata as 'partition_expr'"
            )
        infos = [
            self.lake.write_parquet(self.partition_file(context.asset_key, k), pieces[k])
            for k in keys
        ]
        context.add_output_metadata(self._metadata(infos, keys))

    @staticmethod
    def _metadata(infos: Sequence[WriteInfo], keys: Sequence[str]) -> Mapping[str, object]:
        """Numbers stay numbers so the UI plots them; one path and key, or the lists of them."""
        metadata: dict[str, object] = {
            "rows": sum(info.rows for info in infos),
            "bytes": sum(info.bytes for info in infos),
        }
        if len(infos) == 1:
            metadata["path"] = dg.MetadataValue.path(infos[0].path)
        else:
            metadata["paths"] = dg.MetadataValue.json([info.path for info in infos])
            metadata["rows_by_partition"] = dg.MetadataValue.json(
                {k: i.rows for k, i in zip(keys, infos, strict=True)}
            )
        if len(keys) == 1:
            metadata["partition"] = keys[0]
        elif keys:
            metadata["partitions"] = dg.MetadataValue.json(list(keys))
            metadata["partition_count"] = len(keys)
        return metadata

    def load_input(self, context: dg.InputContext) -> pa.Table | pd.DataFrame | LakeFiles:
        if _wanted_type(context) is LakeFiles:
            return self.files(context)
        if not context.has_asset_partitions:
            table = self.lake.read_parquet(self.partition_file(context.asset_key, None))
        elif _downstream_is_partitioned(context):
            table = self._load_partitions(context, list(context.asset_partition_keys))
        else:
            table = self._load_written_partitions(context)
        return table if _wants_arrow(context) else table.to_pandas()

    def files(self, context: dg.InputContext) -> LakeFiles:
        """The input's lake files by reference (the partitions' folders, or the asset's own)."""
        folder = self.folder(context.asset_key)
        if not context.has_asset_partitions:
            return self._reference(folder, visible_parquet_files(self.lake, folder), ())
        allow_missing = bool(context.definition_metadata.get("allow_missing_partitions"))
        found, keys = [], []
        for key in context.asset_partition_keys:
            files = visible_parquet_files(self.lake, f"{folder}/date={key}")
            if not files and not allow_missing:
                raise FileNotFoundError(
                    f"partition {key} of {context.asset_key.to_user_string()} was never written:"
                    f" no Parquet file in {self.lake.uri(f'{folder}/date={key}')}"
                )
            found += files
            keys += [key] if files else []
        return self._reference(folder, found, tuple(keys))

    def _reference(self, folder: str, files: Sequence[str], keys: tuple[str, ...]) -> LakeFiles:
        if not files:
            raise FileNotFoundError(f"no Parquet file under {self.lake.uri(folder)}")
        uris = tuple(self.lake.uri(f) for f in files)
        return LakeFiles(uris, keys, self.lake.s3_endpoint_url)

    def _load_partitions(self, context: dg.InputContext, keys: Sequence[str]) -> pa.Table:
        allow_missing = bool(context.definition_metadata.get("allow_missing_partitions"))
        tables, skipped = [], []
        for key in keys:
            relative = self.partition_file(context.asset_key, key)
            if self.lake.exists(relative):
                tables.append(self.lake.read_parquet(relative))
            elif allow_missing:
                skipped.append(key)
            else:
                raise FileNotFoundError(
                    f"partition {key} of {context.asset_key.to_user_string()} was never written:"
                    f" no file at {self.lake.uri(relative)}"
                )
        if skipped:
            context.log.warning(
                f"skipped missing partitions of {context.asset_key.to_user_string()}: {skipped}"
            )
        return _concat(tables)

    def _load_written_partitions(self, context: dg.InputContext) -> pa.Table:
        """An unpartitioned reader gets every partition that has been written so far."""
        folder = self.folder(context.asset_key)
        files = [f for f in self.lake.list_files(folder, f"/{PART_FILE}") if "/date=" in f]
        if not files:
            raise FileNotFoundError(
                f"no partition of {context.asset_key.to_user_string()} under {self.lake.uri(folder)}"
            )
        context.log.info(f"loading {len(files)} partitions of {context.asset_key.to_user_string()}")
        return _concat([self.lake.read_parquet(f) for f in files])


def _concat(tables: list[pa.Table]) -> pa.Table:
    # Permissive: an empty day written with null-typed columns still joins the typed ones.
    return pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})


def _downstream_is_partitioned(context: dg.InputContext) -> bool:
    """True when the reading step runs for a partition or a partition range."""
    if context.has_partition_key:
        return True
    try:
        return context.step_context.has_partition_key_range
    except dg.DagsterInvariantViolationError:  # built outside a run, without a step
        return False


def _wanted_type(context: dg.InputContext) -> object:
    try:
        return context.dagster_type.typing_type
    except dg.DagsterInvariantViolationError:
        return None


def _wants_arrow(context: dg.InputContext) -> bool:
    wanted = _wanted_type(context)
    return isinstance(wanted, type) and issubclass(wanted, pa.Table)


class LakeIOManager(dg.ConfigurableIOManager):
    """Parquet in the lake: one file per asset partition, written atomically, read back as
    pandas, Arrow (an input annotated `pyarrow.Table`) or, for an input annotated `LakeFiles`,
    the partitions' files by reference (a warehouse load reads or COPYs them directly)."""

    lake: LakeResource

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        LakeParquetEngine(self.lake).handle_output(context, obj)

    def load_input(self, context: dg.InputContext) -> pa.Table | pd.DataFrame:
        return LakeParquetEngine(self.lake).load_input(context)
