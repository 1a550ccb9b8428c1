"""`data-platform health` checks the data readers use: served features, the serving table,
the newest partition of every daily asset."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg
import pytest
import redis

from data_platform.definitions import build_definitions
from data_platform.health import data, report, run_checks
from data_platform.local.processes import free_port
from data_platform.resources.redis.store import VersionedHashStore
from data_platform.resources.settings import PlatformSettings


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def redis_url(stack_env: dict[str, str]) -> str:
    url = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/9"
    redis.Redis.from_url(url).flushdb()
    return url


def failing(check, *args) -> str:
    with pytest.raises(RuntimeError) as raised:
        check(*args)
    return str(raised.value)


def test_user_features_pointer_must_name_a_whole_version(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert "is not set" in failing(data.check_user_features, redis_url)
    store = VersionedHashStore(client, "user_features", ("sessions_7d",))
    store.write_version("2026-01-02", [(user, user % 3) for user in range(50)])
    assert data.check_user_features(redis_url) == "user_features:current = 2026-01-02, complete, 50 users"
    client.delete("user_features:2026-01-02:7")  # a key lost after sealing
    assert "holds 49 keys, sealed with 50" in failing(data.check_user_features, redis_url)
    client.hdel("user_features:2026-01-02:__meta", "complete")
    assert "not sealed complete" in failing(data.check_user_features, redis_url)
    client.flushdb()  # what a restart without persistence did
    assert "is not set" in failing(data.check_user_features, redis_url)


def test_serving_table_must_have_rows(make_database) -> None:
    url = make_database("health_app")
    assert "does not exist" in failing(data.check_serving_summary, url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA serving")
        conn.execute("CREATE TABLE serving.channel_summary (event_date date, channel text, sessions int)")
    assert "is empty" in failing(data.check_serving_summary, url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO serving.channel_summary VALUES ('2026-01-03', 'ads', 5), ('2026-01-04', 'ads', 2)")
    assert data.check_serving_summary(url) == "serving.channel_summary: 2 rows, up to 2026-01-04"


def test_daily_assets_list_matches_the_definitions(settings: PlatformSettings) -> None:
    graph = build_definitions(settings).resolve_asset_graph()
    daily = {
        key.to_user_string() for key in graph.materializable_asset_keys if graph.get(key).is_partitioned
    }
    assert daily == set(data.DAILY_ASSETS)


def test_report_names_the_data_checks(settings: PlatformSettings, redis_url: str, dagster_home: Path) -> None:
    empty = dataclasses.replace(settings, redis_url=redis_url)
    result = report(run_checks(empty, f"http://127.0.0.1:{free_port()}"))
    assert not result["healthy"]
    assert {"user_features", "serving_channel_summary", "freshness"} <= set(result["failing"])
    assert result["healthy"] is False and "redis" not in result["failing"]
