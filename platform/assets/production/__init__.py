"""Production layer: warehouse → serving stores (Redis user features, the app's Postgres)."""

from dagster import DailyPartitionsDefinition, Definitions

from data_platform.assets.partitions import on_calendar
from data_platform.assets.production.checks import CHECKS
from data_platform.assets.production.rollback import (
    rollback_user_features,
    rollback_user_features_job,
)
from data_platform.assets.production.serving_summary import serving_channel_summary
from data_platform.assets.production.user_features import user_features

__all__ = ["production_definitions", "rollback_user_features"]


def production_definitions(partitions: DailyPartitionsDefinition) -> Definitions:
    """Daily user features, the serving copy, their checks and the features' rollback job."""
    return Definitions(
        assets=[*on_calendar(partitions, [user_features]), serving_channel_summary],
        asset_checks=CHECKS,
        jobs=[rollback_user_features_job],
    )
