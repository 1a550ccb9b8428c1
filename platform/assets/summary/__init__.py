"""Summary layer: warehouse → `analytics` tables, written by analysts as SQL files in `models/`."""

from __future__ import annotations

from pathlib import Path

from dagster import DailyPartitionsDefinition, Definitions

from data_platform.assets.partitions import on_calendar
from data_platform.assets.summary.experiment_exposures import experiment_exposures
from data_platform.assets.summary.model_assets import build_model_assets, models_folder
from data_platform.assets.summary.model_file import load_models


def summary_definitions(partitions: DailyPartitionsDefinition, models_dir: Path | None = None) -> Definitions:
    """The `analytics` assets: one per `models/*.sql` file, plus the experiment exposures table."""
    models, errors = load_models(models_dir or models_folder())
    return Definitions(
        assets=[*on_calendar(partitions, [experiment_exposures]), *build_model_assets(models, errors, partitions)]
    )


__all__ = ["summary_definitions"]
