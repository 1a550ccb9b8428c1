"""Production layer: warehouse → serving stores (Redis user features, the app's Postgres)."""

from dagster import AssetChecksDefinition, AssetsDefinition, DailyPartitionsDefinition

from data_platform.assets.production.checks import CHECKS
from data_platform.assets.production.rollback import (
    rollback_user_features,
    rollback_user_features_job,
)
from data_platform.assets.production.serving_summary import serving_channel_summary
from data_platform.assets.production.user_features import build_user_features

__all__ = ["build_production_assets", "rollback_user_features", "rollback_user_features_job"]


def build_production_assets(
    partitions: DailyPartitionsDefinition,
) -> list[AssetsDefinition | AssetChecksDefinition]:
    """The production assets and their checks on the given daily partitions."""
    return [build_user_features(partitions), serving_channel_summary, *CHECKS]
