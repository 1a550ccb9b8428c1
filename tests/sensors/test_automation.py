"""Summary partition D follows its upstream partitions D: requested once all are there."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    evaluate_automation_conditions,
    instance_for_test,
    map_asset_specs,
)

from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw import raw_definitions
from data_platform.assets.summary import summary_definitions
from data_platform.resources.environment import build_resources
from data_platform.resources.settings import PlatformSettings
from data_platform.sensors.automation import build_automation_sensor, follow_upstream

TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=10)
DAY = (TODAY - timedelta(days=2)).isoformat()
NEXT_DAY = (TODAY - timedelta(days=1)).isoformat()  # the newest partition
ORDERS, RATES, EVENTS = AssetKey(["raw", "orders"]), AssetKey(["raw", "exchange_rates"]), AssetKey(["raw", "events"])
DAILY_REVENUE, CHANNEL_SUMMARY = AssetKey(["analytics", "daily_revenue"]), AssetKey(["analytics", "channel_summary"])
ORDERS_USD = AssetKey(["analytics", "orders_usd"])  # the one USD conversion both summaries read


def platform_defs() -> Definitions:
    partitions = daily_partitions(START)
    layers = Definitions.merge(raw_definitions(partitions), summary_definitions(partitions))
    # Resources are only described here (no connection is opened by evaluating conditions).
    resources = build_resources(PlatformSettings.from_env({"PLATFORM_LAKE_URL": "file:///nonexistent/lake"}))
    return Definitions(
        assets=map_asset_specs(follow_upstream, layers.assets), asset_checks=layers.asset_checks,
        resources=resources, sensors=[build_automation_sensor()],
    )  # fmt: skip


class Ticks:
    """Successive automation ticks against one instance, carrying the cursor like the daemon."""

    def __init__(self, instance: DagsterInstance) -> None:
        self.instance, self.defs, self.cursor = instance, platform_defs(), None

    def tick(self) -> dict[AssetKey, set[str | None]]:
        result = evaluate_automation_conditions(defs=self.defs, instance=self.instance, cursor=self.cursor)
        self.cursor = result.cursor
        # The requested orders_usd runs happen (the summaries' own runs are landed by the tests).
        for partition in result.get_requested_partitions(ORDERS_USD):
            self.land(ORDERS_USD, partition)
        keys = (DAILY_REVENUE, CHANNEL_SUMMARY)
        return {key: set(result.get_requested_partitions(key)) for key in keys}

    def land(self, key: AssetKey, partition: str) -> None:
        self.instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition))


@pytest.fixture
def ticks() -> Iterator[Ticks]:
    with instance_for_test() as instance:
        yield Ticks(instance)


def test_nothing_runs_before_upstreams_update(ticks: Ticks) -> None:
    assert ticks.tick() == {DAILY_REVENUE: set(), CHANNEL_SUMMARY: set()}


def test_d_runs_once_every_upstream_partition_of_d_is_there(ticks: Ticks) -> None:
    ticks.tick()
    ticks.land(ORDERS, DAY)
    assert ticks.tick() == {DAILY_REVENUE: set(), CHANNEL_SUMMARY: set()}  # rates of D missing
    ticks.land(RATES, DAY)
    assert ticks.tick() == {DAILY_REVENUE: {DAY}, CHANNEL_SUMMARY: set()}  # events of D missing
    ticks.land(EVENTS, DAY)
    # channel_summary reads orders (and rates) one day ahead: sessions of D buy after midnight.
    assert ticks.tick() == {DAILY_REVENUE: set(), CHANNEL_SUMMARY: set()}
    ticks.land(ORDERS, NEXT_DAY)
    ticks.land(RATES, NEXT_DAY)
    assert ticks.tick() == {DAILY_REVENUE: {NEXT_DAY}, CHANNEL_SUMMARY: {DAY}}
    assert ticks.tick() == {DAILY_REVENUE: set(), CHANNEL_SUMMARY: set()}  # handled: not again


def test_a_reloaded_upstream_partition_runs_d_again(ticks: Ticks) -> None:
    ticks.tick()
    for key in (ORDERS, RATES, EVENTS):
        ticks.land(key, DAY)
    for key in (ORDERS, RATES):
        ticks.land(key, NEXT_DAY)
    assert DAY in ticks.tick()[CHANNEL_SUMMARY]
    ticks.land(CHANNEL_SUMMARY, DAY)  # the requested run
    assert ticks.tick()[CHANNEL_SUMMARY] == set()
    ticks.land(EVENTS, DAY)  # late events of D arrived with folder D+1
    assert ticks.tick() == {DAILY_REVENUE: set(), CHANNEL_SUMMARY: {DAY}}


def test_other_days_are_untouched(ticks: Ticks) -> None:
    ticks.tick()
    other = (TODAY - timedelta(days=3)).isoformat()
    ticks.land(ORDERS, other)
    ticks.land(RATES, DAY)
    assert ticks.tick() == {DAILY_REVENUE: set(), CHANNEL_SUMMARY: set()}
