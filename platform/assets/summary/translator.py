"""How dbt nodes appear in Dagster: keys, group, owners, kinds, partitions and look-ahead.

- a model `x` is the asset `["analytics", "x"]`; a source table `raw.y` is `["raw", "y"]`,
  the very asset the raw layer materializes, so lineage runs unbroken from landing to serving;
- `meta.owner` (default `team:analytics`) is the owner; every model is in group `summary`;
- `meta.reads_ahead: {parent: N}` maps partition D to the parent's D…D+N (a session of D
  buys after midnight), so D rebuilds when those later days change;
- `meta.reads_behind: {parent: N}` maps D to the parent's D−N…D (a bounded look-back, e.g.
  whether a session began the day before), so D rebuilds when those earlier days change.
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
MAX_READS_AHEAD_DAYS = 7  # and behind: a look-back is bounded by the data's contract


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
        parent = dbt_parent_resource_props["name"]
        ahead = reads_days(dbt_resource_props, "reads_ahead").get(parent, 0)
        behind = reads_days(dbt_resource_props, "reads_behind").get(parent, 0)
        if not (ahead or behind):
            return None
        return TimeWindowPartitionMapping(
            start_offset=-behind, end_offset=ahead, allow_nonexistent_upstream_partitions=True
        )


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return (props.get("config") or {}).get("meta") or props.get("meta") or {}


def reads_days(props: Mapping[str, Any], key: str) -> dict[str, int]:
    """`meta.reads_ahead` / `meta.reads_behind` of a model: parent name → days after / before D
    that still change D."""
    declared = _meta(props).get(key) or {}
    if not isinstance(declared, Mapping) or not all(
        isinstance(d, int) and 1 <= d <= MAX_READS_AHEAD_DAYS for d in declared.values()
    ):
        raise ValueError(f"{props.get('original_file_path')}: meta.{key} maps parent names to 1..{MAX_READS_AHEAD_DAYS} days")
    return dict(declared)
