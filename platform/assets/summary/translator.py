"""How dbt nodes appear in Dagster: keys, group, owners, kinds, partitions and look-ahead.

- a model `x` is the asset `["analytics", "x"]`; a source table `raw.y` is `["raw", "y"]`,
  the very asset the raw layer materializes, so lineage runs unbroken from landing to serving;
- `meta.owner` (default `team:analytics`) is the owner; every model is in group `summary`;
- `meta.reads_ahead: {parent: N}` maps partition D to the parent's D…D+N (a session of D
  buys after midnight), so D rebuilds when those later days change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec, PartitionMapping, TimeWindowPartitionMapping
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from data_platform.assets import conventions

SCHEMA = "analytics"
GROUP = conventions.SUMMARY
DEFAULT_OWNER = "team:analytics"
KINDS = {"dbt", *conventions.SQL_KINDS}
MAX_READS_AHEAD_DAYS = 7


class SummaryTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([SCHEMA, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [_meta(dbt_resource_props).get("owner") or DEFAULT_OWNER]

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        if path := dbt_resource_props.get("original_file_path"):
            metadata["source_file"] = path
        if column := _meta(dbt_resource_props).get("partition_column"):
            metadata["partition_expr"] = column
        return metadata

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec.replace_attributes(kinds=KINDS)

    def get_partition_mapping(
        self, dbt_resource_props: Mapping[str, Any], dbt_parent_resource_props: Mapping[str, Any]
    ) -> PartitionMapping | None:
        days = reads_ahead(dbt_resource_props).get(dbt_parent_resource_props["name"], 0)
        if not days:
            return None
        return TimeWindowPartitionMapping(start_offset=0, end_offset=days, allow_nonexistent_upstream_partitions=True)


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return (props.get("config") or {}).get("meta") or props.get("meta") or {}


def reads_ahead(props: Mapping[str, Any]) -> dict[str, int]:
    """`meta.reads_ahead` of a model: parent name → days after D that still change D."""
    declared = _meta(props).get("reads_ahead") or {}
    if not isinstance(declared, Mapping) or not all(
        isinstance(d, int) and 1 <= d <= MAX_READS_AHEAD_DAYS for d in declared.values()
    ):
        raise ValueError(
            f"{props.get('original_file_path')}: meta.reads_ahead maps parent names to 1..{MAX_READS_AHEAD_DAYS} days"
        )
    return dict(declared)
