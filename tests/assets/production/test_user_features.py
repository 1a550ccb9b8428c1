"""User features in Redis from a real warehouse, against an independent computation of its definitions."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import redis
from dagster import AssetKey, AssetSelection, DailyPartitionsDefinition, materialize
from production_rows import EVENTS, ORDERS, RATES, USERS

from data_platform.assets.partitions import on_calendar
from data_platform.assets.production import rollback_user_features, rollback_user_features_job
from data_platform.assets.production.checks import pointer_names_complete_version
from data_platform.assets.production.user_features import user_features
from data_platform.assets.summary import build_summary_assets
from data_platform.local.processes import free_port
from data_platform.resources.redis import versions as rv
from data_platform.resources.redis.pointers import read_current, read_version
from data_platform.resources.redis.store import RedisResource, RedisUnavailableError
from data_platform.resources.warehouse.resource import WarehouseResource

PARTITIONS = DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")
[ASSET] = on_calendar(PARTITIONS, [user_features])
NS = rv.Namespace("user_features")


@pytest.fixture(scope="module", autouse=True)
def orders_usd(warehouse_url: str) -> None:
    """The features read orders in USD from the summary layer's `analytics.orders_usd` (dbt)."""
    result = materialize(
        build_summary_assets(PARTITIONS), selection=AssetSelection.assets(AssetKey(["analytics", "orders_usd"])),
        resources={"transform_warehouse": WarehouseResource(url=warehouse_url)},
        tags={"dagster/asset_partition_range_start": "2026-01-01", "dagster/asset_partition_range_end": "2026-02-01"},
    )  # fmt: skip
    assert result.success


def expected_features(day: date) -> dict[int, dict[str, str]]:
    """`feature_sql.py`'s definitions computed by hand over the raw rows."""
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    start_7d, start_30d = end - timedelta(days=7), end - timedelta(days=30)
    visible = sorted((e for e in EVENTS if e[1] < end), key=lambda e: (e[1], e[0]))
    first_event: dict[str, tuple] = {}
    for event in visible:
        first_event.setdefault(event[3], event)  # a session starts at its earliest event
    rates = {(d, cur): Decimal(r) for d, cur, r in RATES}
    channels = dict(USERS)
    out = {}
    for user in {e[2] for e in visible}:
        orders = [o for o in ORDERS if o[1] == user and o[6] is None and start_30d <= o[5] < end]
        revenue = sum(
            (Decimal(o[2]) * rates[(o[5].date(), o[3])] for o in orders if o[4] == "paid"), Decimal(0)
        )  # fmt: skip
        out[user] = {
            "sessions_7d": str(
                sum(1 for e in first_event.values() if e[2] == user and start_7d <= e[1] < end)
            ),
            "orders_30d": str(len(orders)),
            "revenue_30d_usd": str(revenue.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
            "last_seen_at": max(e[1] for e in visible if e[2] == user).isoformat(),
            "channel": channels.get(user, ""),
        }
    return out


def run(resources: dict, first: str, last: str | None = None, **overrides):
    tags = {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last or first,
    }
    return materialize(
        [ASSET, pointer_names_complete_version], resources={**resources, **overrides}, tags=tags,
        raise_on_error=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


@pytest.fixture(scope="module")
def published(resources: dict, client: redis.Redis) -> dict:
    """A single run over Jan 30–31: both versions written in order, the last one current."""
    result = run(resources, "2026-01-30", "2026-01-31")
    assert result.success
    return {"result": result, "current": read_current(client, "user_features")}


def test_independent_computation_matches_hand_values():
    features = expected_features(date(2026, 1, 31))
    assert features[1] == {"sessions_7d": "1", "orders_30d": "2", "revenue_30d_usd": "100.00",
                           "last_seen_at": "2026-01-31T00:10:00+00:00", "channel": "ads"}  # fmt: skip
    assert (
        features[2]["sessions_7d"],
        features[2]["orders_30d"],
        features[2]["revenue_30d_usd"],
    ) == ("2", "1", "7.56")
    assert (features[3]["sessions_7d"], features[3]["revenue_30d_usd"]) == ("0", "12.74")
    assert features[4]["channel"] == "" and 5 not in features


def test_range_run_writes_every_day_in_order_and_publishes_the_last(published, client):
    version, data = published["current"]
    assert version == "2026-01-31"
    assert data == expected_features(date(2026, 1, 31))
    assert read_version(client, "user_features", "2026-01-30") == expected_features(
        date(2026, 1, 30)
    )
    assert rv.pointer(client, NS, "previous") == "2026-01-30"
    meta = published["result"].asset_materializations_for_node("serving__user_features")[0].metadata
    assert meta["versions_written"].value == "2026-01-30, 2026-01-31"
    assert meta["keys_written"].value == 4 + 4
    checks = {e.check_name: e.passed for e in published["result"].get_asset_check_evaluations()}
    assert checks == {"version_matches_warehouse": True, "pointer_names_complete_version": True}


def test_rerun_changes_nothing(published, resources, client):
    assert run(resources, "2026-01-31").success
    assert read_current(client, "user_features") == published["current"]
    assert rv.pointer(client, NS, "previous") == "2026-01-30"


def test_backfill_of_an_older_day_leaves_current_on_the_newest(published, resources, client):
    assert run(resources, "2026-01-25").success
    assert read_current(client, "user_features")[0] == "2026-01-31"
    assert read_version(client, "user_features", "2026-01-25") == expected_features(
        date(2026, 1, 25)
    )


def test_redis_unavailable_fails_clearly_and_leaves_the_pointer(published, resources, client):
    dead = RedisResource(url=f"redis://:topsecret@127.0.0.1:{free_port()}/0")
    result = run(resources, "2026-02-01", redis=dead)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = (
        failure.step_failure_data.error.cause.message
        if failure.step_failure_data.error.cause
        else ""
    )
    message += failure.step_failure_data.error.message
    assert RedisUnavailableError.__name__ in message and "topsecret" not in message
    assert read_current(client, "user_features")[0] == "2026-01-31"


def test_rollback_then_a_newer_run_moves_forward(published, resources, client):
    assert rollback_user_features(client) == "2026-01-30"
    assert read_current(client, "user_features") == (
        "2026-01-30",
        expected_features(date(2026, 1, 30)),
    )
    assert run(resources, "2026-01-31").success
    assert read_current(client, "user_features")[0] == "2026-01-31"
    job = rollback_user_features_job.execute_in_process(resources={"redis": resources["redis"]})
    assert job.success and job.output_for_node("rollback_user_features_op") == "2026-01-30"
    assert run(resources, "2026-01-31").success  # leave the newest current again
