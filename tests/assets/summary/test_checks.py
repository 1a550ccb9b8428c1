"""Checks fail, and block downstream assets, when the warehouse holds bad data."""

from __future__ import annotations

from dagster import AssetKey, asset, materialize

from data_platform.assets.summary import summary_definitions


def failed_checks(result) -> set[str]:
    return {c.check_name for c in result.get_asset_check_evaluations() if not c.passed}


def run_with_downstream(partitions, warehouse, name: str):
    """Materialize a model and an asset that reads it; return the result and whether the reader ran."""
    model = next(a for a in summary_definitions(partitions).assets if a.key == AssetKey(["analytics", name]))
    ran = []

    @asset(key=["serving", name], deps=[model.key], partitions_def=partitions)
    def reader() -> None:
        ran.append(True)

    result = materialize(
        [model, reader], resources={"warehouse": warehouse}, partition_key="2026-01-10", raise_on_error=False
    )
    return result, bool(ran)


def test_good_day_passes_and_flows_downstream(partitions, warehouse):
    result, reader_ran = run_with_downstream(partitions, warehouse, "daily_revenue")
    assert result.success and failed_checks(result) == set() and reader_ran


def test_order_without_rate_fails_reconciliation_and_blocks(partitions, warehouse, fetch):
    # An EUR order has no exchange rate: the model cannot convert it, the raw layer still counts it.
    fetch("INSERT INTO raw.orders VALUES (90, 9, NULL, 5.00, 'EUR', 'paid',"
          " '2026-01-10 16:00+00', '2026-01-10 16:00+00', NULL) RETURNING order_id")  # fmt: skip
    try:
        result, reader_ran = run_with_downstream(partitions, warehouse, "daily_revenue")
    finally:
        fetch("DELETE FROM raw.orders WHERE order_id = 90 RETURNING order_id")
    assert failed_checks(result) == {"gross_matches_raw_orders"}
    assert not reader_ran


def test_orders_of_other_users_break_the_funnel(partitions, warehouse, fetch):
    # Three other users' orders in user 7's session: day 10 email then has 4 paying users of 3 users.
    for order_id in (91, 92, 93):
        fetch("INSERT INTO raw.orders VALUES (%s, %s, 's9', 1.00, 'USD', 'paid', '2026-01-10 08:20+00',"
              " '2026-01-10 08:20+00', NULL) RETURNING order_id", (order_id, order_id))  # fmt: skip
    try:
        result, reader_ran = run_with_downstream(partitions, warehouse, "channel_summary")
    finally:
        fetch("DELETE FROM raw.orders WHERE order_id IN (91, 92, 93) RETURNING order_id")
    assert failed_checks(result) == {"funnel_order"}
    assert not reader_ran
    result, reader_ran = run_with_downstream(partitions, warehouse, "channel_summary")
    assert failed_checks(result) == set() and reader_ran
