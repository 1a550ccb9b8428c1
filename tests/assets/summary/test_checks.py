"""dbt tests are blocking checks: they fail, name the offending rows, and stop downstream assets."""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, asset, materialize

from data_platform.assets.summary import build_summary_assets


def failed_checks(result) -> dict[str, dict]:
    return {c.check_name: c.metadata for c in result.get_asset_check_evaluations() if not c.passed}


def materialized(result) -> set[str]:
    return {e.event_specific_data.materialization.asset_key.path[-1] for e in result.get_asset_materialization_events()}


def run_with_downstream(partitions, warehouse, name: str):
    """Materialize orders_usd, a model and an asset that reads it; return the result and whether the reader ran."""
    assets = build_summary_assets(partitions)
    ran = []

    @asset(key=["serving", name], deps=[AssetKey(["analytics", name])], partitions_def=partitions)
    def reader() -> None:
        ran.append(True)

    keys = [AssetKey(["analytics", "orders_usd"]), AssetKey(["analytics", name]), reader.key]
    result = materialize(
        [*assets, reader], selection=AssetSelection.assets(*keys), resources={"transform_warehouse": warehouse},
        partition_key="2026-01-10", raise_on_error=False,
    )  # fmt: skip
    return result, bool(ran)


def test_good_day_passes_and_flows_downstream(partitions, warehouse):
    result, reader_ran = run_with_downstream(partitions, warehouse, "daily_revenue")
    assert result.success and failed_checks(result) == {} and reader_ran


def test_order_without_rate_fails_naming_the_order_and_blocks(partitions, warehouse, fetch):
    # An EUR order has no exchange rate: the one USD conversion cannot convert it.
    fetch("INSERT INTO raw.orders VALUES (90, 9, NULL, 5.00, 'EUR', 'paid',"
          " '2026-01-10 16:00+00', '2026-01-10 16:00+00', NULL) RETURNING order_id")  # fmt: skip
    try:
        result, reader_ran = run_with_downstream(partitions, warehouse, "daily_revenue")
    finally:
        fetch("DELETE FROM raw.orders WHERE order_id = 90 RETURNING order_id")
    failed = failed_checks(result)
    assert set(failed) == {"orders_usd_every_order_has_a_rate"}
    assert "order_id=90, currency=EUR" in failed["orders_usd_every_order_has_a_rate"]["failing_rows"].text
    # dbt skips what is built on the failed test, and Dagster runs nothing downstream.
    assert materialized(result) == {"orders_usd"} and not reader_ran


def test_orders_of_other_users_break_the_funnel(partitions, warehouse, fetch):
    # Four other users' orders in user 7's session: day 10 email then has 4 paying users of 3 users.
    for order_id in (91, 92, 93, 94):
        fetch("INSERT INTO raw.orders VALUES (%s, %s, 's9', 1.00, 'USD', 'paid', '2026-01-10 08:20+00',"
              " '2026-01-10 08:20+00', NULL) RETURNING order_id", (order_id, order_id))  # fmt: skip
    try:
        result, reader_ran = run_with_downstream(partitions, warehouse, "channel_summary")
    finally:
        fetch("DELETE FROM raw.orders WHERE order_id IN (91, 92, 93, 94) RETURNING order_id")
    assert set(failed_checks(result)) == {"funnel_order"}
    assert "channel=email" in failed_checks(result)["funnel_order"]["failing_rows"].text
    assert not reader_ran
    result, reader_ran = run_with_downstream(partitions, warehouse, "channel_summary")
    assert failed_checks(result) == {} and reader_ran
