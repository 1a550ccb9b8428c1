"""Raw layer: sources (app DB, clickstream logs, rates API) → lake → warehouse `raw` schema."""

from dagster import DailyPartitionsDefinition, Definitions

from data_platform.assets.partitions import on_calendar
from data_platform.assets.raw.app_tables import build_app_table_assets
from data_platform.assets.raw.checks import build_raw_checks
from data_platform.assets.raw.events import LANDING, lake_events, raw_events
from data_platform.assets.raw.exchange_rates import lake_exchange_rates, raw_exchange_rates
from data_platform.assets.raw.nps_responses import lake_nps_responses, raw_nps_responses


def raw_definitions(partitions: DailyPartitionsDefinition) -> Definitions:
    """The raw layer's assets and checks; every source but the NPS snapshot is daily."""
    daily = [*build_app_table_assets(), lake_exchange_rates, raw_exchange_rates, LANDING, lake_events, raw_events]
    return Definitions(
        assets=[*on_calendar(partitions, daily), lake_nps_responses, raw_nps_responses],
        asset_checks=build_raw_checks(partitions),
    )


__all__ = ["raw_definitions"]
