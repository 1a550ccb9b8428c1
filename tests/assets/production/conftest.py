"""Fresh warehouse and app databases per test module, loaded with hand-made raw rows, and a Redis DB."""

from collections.abc import Iterator

import psycopg
import pytest
import redis
from production_rows import load_raw
from psycopg import sql

from data_platform.resources.app_db import AppDbResource
from data_platform.resources.redis.io_manager import RedisVersionedIOManager
from data_platform.resources.redis.store import RedisResource
from data_platform.resources.warehouse.resource import WarehouseResource


def fresh_database(server_url: str, marker: str, name: str) -> str:
    url = server_url.replace(marker, f"/{name}?")
    assert url != server_url
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url


@pytest.fixture(scope="module")
def module_name(request: pytest.FixtureRequest) -> str:
    return request.module.__name__.rsplit(".", 1)[-1]


@pytest.fixture(scope="module")
def warehouse_url(stack_env: dict[str, str], module_name: str) -> Iterator[str]:
    """This module's own warehouse database, loaded with the raw rows."""
    url = fresh_database(
        stack_env["PLATFORM_WAREHOUSE_URL"], "/warehouse?", f"prod_wh_{module_name}"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        load_raw(conn)
    yield url


@pytest.fixture(scope="module")
def app_url(stack_env: dict[str, str], module_name: str) -> str:
    return fresh_database(stack_env["PLATFORM_APP_DB_URL"], "/app?", f"prod_app_{module_name}")


@pytest.fixture(scope="module")
def redis_url(stack_env: dict[str, str], module_name: str) -> str:
    """A Redis DB number of this module's own (7 or 8), emptied first."""
    db = {"test_user_features": 7, "test_serving_summary": 8}[module_name]
    url = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + f"/{db}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def resources(warehouse_url: str, app_url: str, redis_url: str) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(url=warehouse_url),
        "app_db": AppDbResource(url=app_url),
        "redis": RedisResource(url=redis_url),
        "redis_io_manager": RedisVersionedIOManager(redis=RedisResource(url=redis_url)),
    }
