"""Raw layer: sources (app DB, clickstream logs, rates API) → lake → warehouse `raw` schema."""

from dagster import AssetChecksDefinition, AssetsDefinition, AssetSpec, DailyPartitionsDefinition

from data_platform.assets.raw.app_tables import build_app_table_assets
from data_platform.assets.raw.checks import build_raw_checks
from data_platform.assets.raw.events import build_event_assets
from data_platform.assets.raw.exchange_rates import build_exchange_rate_assets
from data_platform.assets.raw.nps_responses import lake_nps_responses, raw_nps_responses


def build_raw_assets(partitions: DailyPartitionsDefinition) -> list[AssetsDefinition | AssetSpec | AssetChecksDefinition]:
    return [
        *build_app_table_assets(partitions),
        *build_exchange_rate_assets(partitions),
        *build_event_assets(partitions),
        lake_nps_responses,
        raw_nps_responses,
        *build_raw_checks(partitions),
    ]
