"""Summary layer: warehouse `raw` → `analytics` tables, a dbt project in `dbt_project/`."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetsDefinition, DailyPartitionsDefinition, Definitions

from data_platform.assets.summary.broken import build_broken_assets
from data_platform.assets.summary.dbt_assets import build_dbt_assets
from data_platform.assets.summary.project import PROJECT_DIR, ParseFailure, prepare_manifest
from data_platform.assets.summary.vetting import ignored_files, vet_manifest


def summary_definitions(
    partitions: DailyPartitionsDefinition, project_dir: Path = PROJECT_DIR
) -> Definitions:
    """The summary layer: the dbt project's models as assets, its tests as blocking checks."""
    return Definitions(assets=build_summary_assets(partitions, project_dir))


def build_summary_assets(
    partitions: DailyPartitionsDefinition, project_dir: Path = PROJECT_DIR
) -> list[AssetsDefinition]:
    """One asset per dbt model (tests as checks); a project that does not parse becomes
    failing placeholders naming dbt's error, and a model that cannot be an asset its own."""
    manifest = prepare_manifest(project_dir)
    if isinstance(manifest, ParseFailure):
        return build_broken_assets(manifest.message, project_dir=project_dir)
    vetted, problems = vet_manifest(manifest)
    problems += ignored_files(project_dir)
    return [*build_dbt_assets(vetted, partitions, project_dir), *build_broken_assets(problems=problems)]


__all__ = ["build_summary_assets", "summary_definitions"]
