"""Build every resource from the settings read once from the environment.

Secrets (database and Redis URLs) reach resources as `EnvVar`s, so the UI shows the
variable's name, never its value.
"""

from __future__ import annotations

from typing import Any

from dagster import EnvVar

from data_platform.resources.app_db import AppDbResource
from data_platform.resources.lake.io_manager import LakeIOManager
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.lake_sql.resource import LakeSqlResource
from data_platform.resources.rates_api import RatesApiResource
from data_platform.resources.redis.io_manager import RedisVersionedIOManager
from data_platform.resources.redis.store import RedisResource
from data_platform.resources.settings import PROD, PlatformSettings
from data_platform.resources.slack import SlackWebhookResource
from data_platform.resources.spark import spark_resource
from data_platform.resources.warehouse.io_manager import WarehouseIOManager
from data_platform.resources.warehouse.resource import WarehouseResource


def build_resources(settings: PlatformSettings) -> dict[str, Any]:
    lake = LakeResource(url=settings.lake_url, s3_endpoint_url=settings.s3_endpoint_url)
    warehouse = WarehouseResource(
        url=EnvVar("PLATFORM_WAREHOUSE_URL"),
        iam_role=settings.redshift_iam_role,
        staging_url=settings.redshift_staging_url,
        s3_endpoint_url=settings.s3_endpoint_url,
    )
    redis = RedisResource(url=EnvVar("PLATFORM_REDIS_URL"))
    return {
        "lake": lake,
        "warehouse": warehouse,
        "app_db": AppDbResource(url=EnvVar("PLATFORM_APP_DB_URL")),
        "rates_api": RatesApiResource(url=EnvVar("PLATFORM_RATES_API_URL")),
        "redis": redis,
        "spark": spark_resource(settings.spark_master),
        # Posting is off without a webhook: an unset EnvVar would fail every sensor tick.
        "slack": SlackWebhookResource(
            url=EnvVar("PLATFORM_SLACK_WEBHOOK_URL") if settings.slack_webhook_url else None
        ),
        "lake_io_manager": LakeIOManager(lake=lake),
        "redis_io_manager": RedisVersionedIOManager(redis=redis),
        # Lake models run in Athena in production, in DuckDB over the files elsewhere.
        "lake_sql": LakeSqlResource(lake=lake, engine="athena" if settings.env == PROD else "duckdb"),
        "warehouse_io_manager": WarehouseIOManager(warehouse=warehouse),
    }
