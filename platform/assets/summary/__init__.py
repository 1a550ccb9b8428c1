"""Summary layer: warehouse → `analytics` tables, written by analysts as SQL files in `models/`."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetsDefinition, DailyPartitionsDefinition

from data_platform.assets.summary.experiment_exposures import build_exposure_asset
from data_platform.assets.summary.model_assets import build_model_assets, models_folder
from data_platform.assets.summary.model_file import load_models


def build_summary_assets(
    partitions: DailyPartitionsDefinition, models_dir: Path | None = None
) -> list[AssetsDefinition]:
    """The `analytics` assets: one per `models/*.sql` file, plus the experiment exposures table."""
    models, errors = load_models(models_dir or models_folder())
    return [build_exposure_asset(partitions), *build_model_assets(models, errors, partitions)]


__all__ = ["build_summary_assets"]
