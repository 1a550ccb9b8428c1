"""Raw changes rebuild the days they belong to; summary changes flow on through automation.

The corrections sensor reads raw materializations (their `data_days`, else their partition)
and requests the summary and production partitions that read those days, once every
upstream partition is there, at any age. Automation conditions handle the rest of the graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    Definitions,
    MetadataValue,
    build_sensor_context,
    evaluate_automation_conditions,
    instance_for_test,
    map_asset_specs,
)

from data_platform.assets.partitions import daily_partitions
from data_platform.assets.production import production_definitions
from data_platform.assets.raw import raw_definitions
from data_platform.assets.summary import summary_definitions
from data_platform.resources.environment import build_resources
from data_platform.resources.settings import PlatformSettings
from data_platform.sensors import corrections
from data_platform.sensors.automation import build_automation_sensor, follow_upstream
from data_platform.sensors.corrections import RANGE_END, RANGE_START, build_corrections_sensor

TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=120)  # far more than any lookback window
PREV_DAY = (TODAY - timedelta(days=3)).isoformat()  # channel_summary of DAY reads its events (session look-back)
DAY = (TODAY - timedelta(days=2)).isoformat()
NEXT_DAY = (TODAY - timedelta(days=1)).isoformat()  # the newest partition
OLD_DAY = (TODAY - timedelta(days=100)).isoformat()
BEFORE_OLD = (TODAY - timedelta(days=101)).isoformat()
TWO_BEFORE_OLD = (TODAY - timedelta(days=102)).isoformat()
ORDERS, RATES, EVENTS, USERS = (AssetKey(["raw", n]) for n in ("orders", "exchange_rates", "events", "users"))
ORDERS_USD = AssetKey(["analytics", "orders_usd"])
DAILY_REVENUE, CHANNEL_SUMMARY = AssetKey(["analytics", "daily_revenue"]), AssetKey(["analytics", "channel_summary"])
EXPOSURES, FEATURES = AssetKey(["analytics", "experiment_exposures"]), AssetKey(["serving", "user_features"])
SERVING = AssetKey(["serving", "channel_summary"])
SUMMARIES = (ORDERS_USD, DAILY_REVENUE, CHANNEL_SUMMARY, EXPOSURES, FEATURES)


def platform_defs() -> Definitions:
    partitions = daily_partitions(START)
    layers = Definitions.merge(
        raw_definitions(partitions), summary_definitions(partitions), production_definitions(partitions)
    )
    # Resources are only described here (no connection is opened by evaluating conditions).
    resources = build_resources(PlatformSettings.from_env({"PLATFORM_LAKE_URL": "file:///nonexistent/lake"}))
    return Definitions(
        assets=map_asset_specs(follow_upstream, layers.assets), asset_checks=layers.asset_checks,
        resources=resources, sensors=[build_automation_sensor(), build_corrections_sensor()],
    )  # fmt: skip


class Ticks:
    """Successive ticks against one instance, carrying the cursors like the daemon."""

    def __init__(self, instance: DagsterInstance) -> None:
        self.instance, self.defs = instance, platform_defs()
        self.cursor, self.automation_cursor = None, None
        self.runs: list[set[AssetKey]] = []  # the assets of each run the last corrections tick asked for

    def corrections(self) -> dict[AssetKey, set[str | tuple[str, str]]]:
        with build_sensor_context(instance=self.instance, cursor=self.cursor, definitions=self.defs) as context:
            data = self.defs.get_sensor_def("corrections_sensor").evaluate_tick(context)
        self.cursor = data.cursor
        self.runs, requested = [], {}
        for request in data.run_requests or []:
            self.runs.append(set(request.asset_selection))
            days = request.partition_key or (request.tags[RANGE_START], request.tags[RANGE_END])
            for key in request.asset_selection:
                requested.setdefault(key, set()).add(days)
        return requested

    def automation(self) -> dict[AssetKey, set[str | None]]:
        result = evaluate_automation_conditions(defs=self.defs, instance=self.instance, cursor=self.automation_cursor)
        self.automation_cursor = result.cursor
        keys = (DAILY_REVENUE, CHANNEL_SUMMARY, FEATURES, SERVING, EXPOSURES, ORDERS_USD)
        return {key: set(result.get_requested_partitions(key)) for key in keys if result.get_requested_partitions(key)}

    def land(self, key: AssetKey, partition: str, data_days: list[str] | None = None) -> None:
        metadata = {"data_days": MetadataValue.json(data_days)} if data_days is not None else {}
        self.instance.report_runless_asset_event(AssetMaterialization(asset_key=key, partition=partition, metadata=metadata))

    def land_all(self, *days: str) -> None:
        """Every raw and summary partition of `days` there, and both ticks caught up."""
        for day in days:
            for key in (ORDERS, RATES, EVENTS, USERS):
                self.land(key, day, [day] if key in (ORDERS, USERS) else None)
            for key in SUMMARIES:
                self.land(key, day)
        self.corrections()
        self.automation()


@pytest.fixture
def ticks() -> Iterator[Ticks]:
    with instance_for_test() as instance:
        yield Ticks(instance)


def test_nothing_runs_before_upstreams_update(ticks: Ticks) -> None:
    assert ticks.corrections() == {} and ticks.automation() == {}


def test_d_runs_once_every_upstream_partition_of_d_is_there(ticks: Ticks) -> None:
    ticks.land(ORDERS, DAY, [DAY])
    assert ticks.corrections() == {}  # rates of D missing: waits in the cursor
    ticks.land(RATES, DAY)
    assert ticks.corrections() == {ORDERS_USD: {DAY}}
    assert ticks.corrections() == {}  # handled: not again


def test_a_refund_rebuilds_the_day_the_order_belongs_to_whatever_its_age(ticks: Ticks) -> None:
    old_next = (datetime.fromisoformat(OLD_DAY) + timedelta(days=1)).date().isoformat()
    ticks.land_all(TWO_BEFORE_OLD, BEFORE_OLD, OLD_DAY, old_next, PREV_DAY, DAY, NEXT_DAY)
    # A refund made on NEXT_DAY of an order created on OLD_DAY, 100 days ago:
    ticks.land(ORDERS, NEXT_DAY, [OLD_DAY])
    assert ticks.corrections() == {ORDERS_USD: {OLD_DAY}}  # not NEXT_DAY, the day it was modified
    ticks.land(ORDERS_USD, OLD_DAY)  # the requested run
    # Then automation: D-1 of channel_summary reads D's orders (sessions buy after midnight).
    assert ticks.automation() == {DAILY_REVENUE: {OLD_DAY}, CHANNEL_SUMMARY: {BEFORE_OLD, OLD_DAY}, FEATURES: {OLD_DAY}}


def test_a_load_that_changed_nothing_rebuilds_nothing(ticks: Ticks) -> None:
    ticks.land_all(DAY, NEXT_DAY)
    ticks.land(ORDERS, DAY, [])  # a rerun of an old extract: every row already there
    assert ticks.corrections() == {} and ticks.automation() == {}


def test_late_events_rebuild_their_day(ticks: Ticks) -> None:
    ticks.land_all(PREV_DAY, DAY, NEXT_DAY)
    ticks.land(EVENTS, DAY)  # late events of D arrived with folder D+1
    # channel_summary of D+1 too: a late event of D can be an earlier event of a session that
    # looked as if it began on D+1 (its look-back of one day).
    assert ticks.corrections() == {CHANNEL_SUMMARY: {(DAY, NEXT_DAY)}, EXPOSURES: {DAY}, FEATURES: {DAY}}
    assert ticks.runs == [{EXPOSURES, FEATURES}, {CHANNEL_SUMMARY}]  # one run per range: none feeds another


def test_a_refund_and_late_events_of_one_day_rebuild_it_once(ticks: Ticks) -> None:
    ticks.land_all(PREV_DAY, DAY, NEXT_DAY)
    ticks.land(EVENTS, DAY)
    ticks.land(ORDERS, NEXT_DAY, [DAY])
    # channel_summary and user_features of D wait for orders_usd of D: automation runs them after
    # it. channel_summary of D+1 (the look-back on events of D) reads no orders of D: it runs now.
    assert ticks.corrections() == {ORDERS_USD: {DAY}, EXPOSURES: {DAY}, CHANNEL_SUMMARY: {NEXT_DAY}}
    assert ticks.runs == [{ORDERS_USD, EXPOSURES}, {CHANNEL_SUMMARY}]  # one dbt invocation builds both of D
    ticks.land(ORDERS_USD, DAY)
    ticks.land(EXPOSURES, DAY)
    requested = ticks.automation()
    assert requested[CHANNEL_SUMMARY] == {DAY}  # (D-1 too, were its own upstream days there)
    assert requested[FEATURES] == {DAY}


def test_changes_of_different_days_run_apart(ticks: Ticks) -> None:
    ticks.land_all(BEFORE_OLD, OLD_DAY, PREV_DAY, DAY, NEXT_DAY)
    ticks.land(EVENTS, DAY)
    ticks.land(ORDERS, NEXT_DAY, [OLD_DAY])
    assert ticks.corrections() == {ORDERS_USD: {OLD_DAY}, CHANNEL_SUMMARY: {(DAY, NEXT_DAY)}, EXPOSURES: {DAY},
                                   FEATURES: {DAY}}  # fmt: skip
    # a run has one range of days
    assert ticks.runs == [{ORDERS_USD}, {EXPOSURES, FEATURES}, {CHANNEL_SUMMARY}]


def test_summary_changes_flow_on_through_automation(ticks: Ticks) -> None:
    ticks.automation()
    for day in daily_partitions(START).get_partition_keys():
        ticks.land(CHANNEL_SUMMARY, day)
    assert ticks.automation() == {SERVING: {None}}
    ticks.instance.report_runless_asset_event(AssetMaterialization(asset_key=SERVING))  # the requested run
    assert ticks.automation() == {}
    ticks.land(CHANNEL_SUMMARY, OLD_DAY)
    assert ticks.automation() == {SERVING: {None}}


def test_waiting_partitions_are_kept_in_the_cursor(ticks: Ticks) -> None:
    ticks.land(ORDERS, DAY, [DAY])
    ticks.corrections()
    state = json.loads(ticks.cursor)
    assert state["pending"]["analytics/orders_usd"] == {DAY: state["after"]}


def test_a_rebuild_that_never_happened_is_requested_again(ticks: Ticks, monkeypatch) -> None:
    ticks.land(ORDERS, DAY, [DAY])
    ticks.land(RATES, DAY)
    assert ticks.corrections() == {ORDERS_USD: {DAY}}
    assert ticks.corrections() == {}  # its run gets time to finish (or be retried) first
    monkeypatch.setattr(corrections, "RETRY_PAUSE_SECONDS", 0)
    assert ticks.corrections() == {ORDERS_USD: {DAY}}  # no run of the sensor going, D still not rebuilt
    ticks.land(ORDERS_USD, DAY)  # rebuilt at last
    assert ticks.corrections() == {}


def test_a_rebuild_failing_for_good_is_given_up_after_max_attempts(ticks: Ticks, monkeypatch) -> None:
    monkeypatch.setattr(corrections, "RETRY_PAUSE_SECONDS", 0)
    ticks.land(ORDERS, DAY, [DAY])
    ticks.land(RATES, DAY)
    asked = [ticks.corrections() for _ in range(corrections.MAX_ATTEMPTS + 2)]
    assert asked == [{ORDERS_USD: {DAY}}] * corrections.MAX_ATTEMPTS + [{}, {}]
