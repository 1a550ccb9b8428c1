"""Ticks evaluated in-process behave like the daemon's: the automation sensor is already
running when the first run starts, and what it requests runs parents first, one run per
partition key for all the assets requested for it.

A two-model graph with the platform's own automation condition stands in for the dbt
project (a multi-asset whose models can run alone or together), on a real instance.
"""

from collections.abc import Iterator

import pytest
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Definitions,
    MaterializeResult,
    RunRequest,
    asset,
    instance_for_test,
    multi_asset,
)

from data_platform.local.ticks import Ticker, run_requests, waves
from data_platform.sensors.automation import SUMMARY_UPSTREAM_READY, UPSTREAM_READY
from data_platform.sensors.corrections import RANGE_END, RANGE_START

DAYS = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-04")
RAW, USD, REVENUE, REPORT = (AssetKey(k) for k in (["raw", "orders"], ["orders_usd"], ["daily_revenue"], ["report"]))


@asset(key=RAW, partitions_def=DAYS, group_name="raw")
def raw_orders() -> MaterializeResult:
    return MaterializeResult()


@multi_asset(
    specs=[
        AssetSpec(USD, deps=[RAW], group_name="summary", automation_condition=SUMMARY_UPSTREAM_READY),
        AssetSpec(REVENUE, deps=[USD], group_name="summary", automation_condition=SUMMARY_UPSTREAM_READY),
    ],
    partitions_def=DAYS,
    can_subset=True,
    backfill_policy=BackfillPolicy.single_run(),
)
def models(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
    """Like `dbt build --select …`: only the selected models, parents first."""
    for key in (USD, REVENUE):
        if key in context.selected_asset_keys:
            yield MaterializeResult(asset_key=key)


@asset(key=REPORT, deps=[REVENUE], group_name="summary", automation_condition=UPSTREAM_READY)
def report() -> MaterializeResult:
    return MaterializeResult()


@pytest.fixture
def ticker() -> Iterator[Ticker]:
    with instance_for_test() as instance:
        yield Ticker(Definitions(assets=[raw_orders, models, report]), instance)


def test_an_update_before_the_first_automation_tick_is_followed(ticker: Ticker) -> None:
    # A sensor's run (the corrections sensor's orders_usd) comes before any automation tick.
    for key in (RAW, USD):
        assert ticker.execute(RunRequest(asset_selection=[key], partition_key="2026-01-02"))
    ticker.automation()
    assert ([REVENUE], ["2026-01-02"], True) in ticker.runs


def test_each_change_runs_once_and_its_followers_after_it(ticker: Ticker) -> None:
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        ticker.execute(RunRequest(asset_selection=[RAW, USD, REVENUE], partition_key=day))
    ticker.automation()
    ticker.automation()
    ticker.runs.clear()
    for day in ("2026-01-01", "2026-01-03"):
        ticker.execute(RunRequest(asset_selection=[RAW, USD], partition_key=day))
    assert ticker.automation() == 2 and ticker.automation() == 1 and ticker.automation() == 0
    assert ticker.runs[-3:] == [
        ([REVENUE], ["2026-01-01"], True),
        ([REVENUE], ["2026-01-03"], True),
        ([REPORT], [None], True),  # after both days of its parent, once
    ]


def test_one_run_per_partition_key_or_per_range_in_a_backfill() -> None:
    graph = Definitions(assets=[raw_orders, models, report]).resolve_asset_graph()
    requested = {REVENUE: {"2026-01-02"}, USD: {"2026-01-01", "2026-01-02"}, REPORT: {None}}
    assert waves(graph, requested) == [[USD], [REVENUE], [REPORT]]
    wave = {USD: {"2026-01-02"}, REVENUE: {"2026-01-02"}}
    (single,) = run_requests(graph, wave, backfill=False, instance=None)
    assert (set(single.asset_selection), single.partition_key) == ({USD, REVENUE}, "2026-01-02")
    (ranged,) = run_requests(graph, {USD: {"2026-01-01", "2026-01-02"}}, backfill=True, instance=None)
    assert ranged.tags[RANGE_START] == "2026-01-01" and ranged.tags[RANGE_END] == "2026-01-02"
