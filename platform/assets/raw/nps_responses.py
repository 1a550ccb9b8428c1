"""`raw.nps_responses`: a small append-only table, fully refreshed on each run."""


import pyarrow as pa
from dagster import AssetExecutionContext, AssetIn, asset

from data_platform.assets.raw import conventions as c
from data_platform.assets.raw.schemas import NPS_RESPONSES
from data_platform.resources.app_db import AppDbResource


@asset(
    key=["lake", "nps_responses"],
    group_name=c.GROUP,
    owners=c.OWNERS,
    kinds=c.LAKE_KINDS,
    io_manager_key="lake_io_manager",
    retry_policy=c.SOURCE_RETRY,
    metadata={"source": "app.public.nps_responses"},
)
def lake_nps_responses(context: AssetExecutionContext, app_db: AppDbResource) -> pa.Table:
    """Every NPS response in the app DB, as one Parquet snapshot in the lake."""
    table, extra = app_db.extract("nps_responses", NPS_RESPONSES)
    if extra:
        context.log.warning(f"app.public.nps_responses has columns the platform ignores: {extra}")
    return table


@asset(
    key=["raw", "nps_responses"],
    ins={"responses": AssetIn(key=["lake", "nps_responses"])},
    group_name=c.GROUP,
    owners=c.OWNERS,
    kinds=c.WAREHOUSE_KINDS,
    io_manager_key="warehouse_io_manager",
    metadata={"write_mode": "replace"},
)
def raw_nps_responses(responses: pa.Table) -> pa.Table:
    """NPS responses in the warehouse, swapped in whole so readers never see a half table."""
    return responses
