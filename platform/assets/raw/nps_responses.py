"""`raw.nps_responses`: a small append-only table, fully refreshed on each run."""

import pyarrow as pa
from dagster import AssetExecutionContext

from data_platform.assets.raw import shapes as c
from data_platform.assets.raw.schemas import NPS_RESPONSES
from data_platform.resources.app_db import AppDbResource


@c.lake_asset("nps_responses", daily=False, retry_policy=c.SOURCE_RETRY, metadata={"source": "app.public.nps_responses"})
def lake_nps_responses(context: AssetExecutionContext, app_db: AppDbResource) -> pa.Table:
    """Every NPS response in the app DB, as one Parquet snapshot in the lake."""
    return c.extract_app_table(context, app_db, "nps_responses", NPS_RESPONSES)


raw_nps_responses = c.warehouse_loader(
    "nps_responses",
    "NPS responses in the warehouse, swapped in whole so readers never see a half table.",
    {"write_mode": "replace", "primary_key": ["response_id"], "not_null": ["response_id", "user_id", "score", "created_at"]},
    daily=False,
)
