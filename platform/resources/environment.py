"""Build every resource from the settings read once from the environment.

Secrets and URLs (databases, Redis, the rates API, the Slack webhook, the lake and its S3
endpoint) reach resources as `EnvVar`s, so the UI shows the variable's name, never its
value; only local defaults, which no variable holds, are passed as values.
"""

from __future__ import annotations

import os
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
from data_platform.resources.spark import lake_settings, spark_resource
from data_platform.resources.warehouse.io_manager import WarehouseIOManager
from data_platform.resources.warehouse.resource import WarehouseResource


def from_env(name: str, value: str | None) -> str | None:
    """`EnvVar(name)` when `value` is what that variable holds, so the UI shows the variable's
    name; else `value` itself: a local default (the lake folder), or nothing."""
    return EnvVar(name) if value and os.environ.get(name) == value else value


def build_resources(settings: PlatformSettings) -> dict[str, Any]:
    endpoint = from_env("PLATFORM_S3_ENDPOINT_URL", settings.s3_endpoint_url)
    lake = LakeResource(url=from_env("PLATFORM_LAKE_URL", settings.lake_url), s3_endpoint_url=endpoint)
    warehouse = WarehouseResource(
        url=EnvVar("PLATFORM_WAREHOUSE_URL"),
        iam_role=from_env("PLATFORM_REDSHIFT_IAM_ROLE", settings.redshift_iam_role),
        staging_url=from_env("PLATFORM_REDSHIFT_STAGING_URL", settings.redshift_staging_url),
        s3_endpoint_url=endpoint,
    )
    redis = RedisResource(url=EnvVar("PLATFORM_REDIS_URL"))
    return {
        "lake": lake,
        "warehouse": warehouse,
        "app_db": AppDbResource(url=EnvVar("PLATFORM_APP_DB_URL")),
        "rates_api": RatesApiResource(url=EnvVar("PLATFORM_RATES_API_URL")),
        "redis": redis,
        "spark": spark_resource(settings.spark_master, lake_settings(settings.lake_url, settings.s3_endpoint_url)),
        # Posting is off without a webhook: an unset EnvVar would fail every sensor tick.
        "slack": SlackWebhookResource(
            url=EnvVar("PLATFORM_SLACK_WEBHOOK_URL") if settings.slack_webhook_url else None
        ),
        "lake_io_manager": LakeIOManager(lake=lake),
        "redis_io_manager": RedisVersionedIOManager(redis=redis),
        # Lake models run in Athena in production, in DuckDB over the files elsewhere.
        "lake_sql": LakeSqlResource(lake=lake, engine="athena" if settings.env == PROD else "duckdb"),
        "warehouse_io_manager": WarehouseIOManager(warehouse=warehouse),
        # The summary layer (dbt) runs as the transformer role where one is configured.
        "transform_warehouse": WarehouseResource(url=EnvVar("PLATFORM_WAREHOUSE_TRANSFORM_URL"))
        if settings.warehouse_transform_url
        else warehouse,
    }
