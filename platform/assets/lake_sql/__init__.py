"""SQL over the lake: the Athena catalog of the lake's tables, and lake models (SQL files)."""

from dagster import AssetKey, Definitions

from data_platform.assets.lake_sql.athena_tables import athena_lake_tables
from data_platform.assets.lake_sql.models import build_lake_model


def lake_sql_definitions() -> Definitions:
    # Quarantine files are written by the step that writes lake/events.
    quarantine_reasons = build_lake_model("quarantine_reasons", deps=[AssetKey(["lake", "events"])])
    return Definitions(assets=[athena_lake_tables, quarantine_reasons])
