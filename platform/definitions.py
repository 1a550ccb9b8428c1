"""The code location: assembles each layer's definitions with the resources of one environment.

Every layer has one builder returning its own `Definitions`, merged here with
`Definitions.merge`. Builders rather than module-level definitions because the daily
partitions start at `PLATFORM_START_DATE`, which is known only from the settings read when
definitions are built, never at import (tests build definitions for their own start date
without reloading modules). Assets themselves are module-level; a builder only puts its
layer's daily assets on that calendar. Factories remain only for families generated from
data: app tables, analyst SQL models, per-table checks.
"""

import warnings

from dagster import BetaWarning, PreviewWarning

# Deliberate uses of features Dagster labels beta or preview: single-run backfills,
# late-arrival partition mappings, partitioned checks, mapping specs over definitions. Set
# once, here, before the layers are imported (their module-level assets use them).
for category, feature in [
    (BetaWarning, "backfill_policy|allow_nonexistent_upstream_partitions"),
    (PreviewWarning, "partitions_def on an AssetCheckSpec|map_asset_specs|map_resolved_asset_specs"),
]:
    warnings.filterwarnings("ignore", message=f".*({feature}).*", category=category)

from dagster import Definitions

from data_platform.assets.lake_sql import lake_sql_definitions
from data_platform.assets.maintenance import maintenance_definitions
from data_platform.assets.partitions import daily_partitions
from data_platform.assets.production import production_definitions
from data_platform.assets.raw import raw_definitions
from data_platform.assets.summary import summary_definitions
from data_platform.resources.environment import build_resources
from data_platform.resources.settings import PlatformSettings
from data_platform.sensors import automation_definitions
from data_platform.sensors.automation import follow_upstream
from data_platform.sensors.freshness import freshness_definitions
from data_platform.workers import executor_for


def build_definitions(settings: PlatformSettings) -> Definitions:
    """Every layer, its checks, resources, sensors and schedules for one environment."""
    partitions = daily_partitions(settings.start_date)
    layers = Definitions.merge(
        raw_definitions(partitions),
        summary_definitions(partitions),
        production_definitions(partitions),
        maintenance_definitions(),
        lake_sql_definitions(),
        automation_definitions(settings, partitions),
        Definitions(
            resources=build_resources(settings),
            executor=executor_for(settings.executor),
        ),
    )
    layers = Definitions.merge(layers, freshness_definitions(layers, settings))
    return layers.map_asset_specs(func=follow_upstream)


defs = build_definitions(PlatformSettings.from_env())
