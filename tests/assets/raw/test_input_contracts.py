"""App-DB rows that break the contract stop at the raw boundary, named by key.

An order in EUR (no rate) and an order with status `cancelled` reach a real app DB whose
table has no CHECK constraints (the production OLTP database owes the platform nothing).
The day's input check fails naming both orders, and neither `raw.orders` nor
`serving.channel_summary` ever holds anything computed from that day. The platform runs as
the stack's least-privileged roles throughout.
"""

from datetime import UTC, date, datetime, timedelta

import psycopg
import pyarrow as pa
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance
from harness import SimulatedPlatform

from data_platform.assets.raw.input_contracts import CONTRACTS, violations
from data_platform.local import roles

ORDERS = next(c for c in CONTRACTS if c.table == "orders")
START = date(2026, 3, 1)
BAD_DAY = START + timedelta(days=1)
EUR_ORDER, CANCELLED_ORDER = 900_000_001, 900_000_002


def test_violations_name_the_keys_of_each_broken_rule() -> None:
    table = pa.table({
        "order_id": [1, 2, 3, None, 5],
        "user_id": [10, 20, None, 40, 50],
        "currency": ["USD", "EUR", "KRW", "USD", None],
        "status": ["paid", "paid", "cancelled", "refunded", "paid"],
    })  # fmt: skip
    assert violations(table, ORDERS) == {
        "order_id is null": [None],
        "user_id is null": [3],
        "currency = 'EUR' (allowed: USD, KRW)": [2],
        "currency = None (allowed: USD, KRW)": [5],
        "status = 'cancelled' (allowed: paid, refunded)": [3],
    }
    assert violations(table.slice(0, 1), ORDERS) == {}


def add_bad_orders(app_db_url: str) -> None:
    """Two orders of BAD_DAY on a real session of that day: one in EUR, one `cancelled`."""
    at = datetime(BAD_DAY.year, BAD_DAY.month, BAD_DAY.day, 12, tzinfo=UTC)
    with psycopg.connect(app_db_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.orders DROP CONSTRAINT orders_currency_check,"
                     " DROP CONSTRAINT orders_status_check")
        user_id, session_id = conn.execute(
            "SELECT user_id, session_id FROM public.orders WHERE created_at >= %s ORDER BY order_id LIMIT 1",
            (BAD_DAY,),
        ).fetchone()
        for order_id, currency, status in ((EUR_ORDER, "EUR", "paid"), (CANCELLED_ORDER, "USD", "cancelled")):
            conn.execute(
                "INSERT INTO public.orders (order_id, user_id, session_id, amount, currency, status,"
                " created_at, modified_at) VALUES (%s, %s, %s, 1000.00, %s, %s, %s, %s)",
                (order_id, user_id, session_id, currency, status, at, at),
            )


def as_roles(warehouse_admin: str, app_admin: str) -> tuple[str, str, str]:
    """Grant the stack's roles on both databases; the platform then runs as them, never as a
    superuser: the loader, the transformer (the summary layer) and the app's role."""
    with psycopg.connect(warehouse_admin, autocommit=True) as conn:
        roles.grant_warehouse(conn)
    with psycopg.connect(app_admin, autocommit=True) as conn:
        roles.grant_app(conn)
    return (roles.role_url(warehouse_admin, roles.LOADER), roles.role_url(warehouse_admin, roles.TRANSFORMER),
            roles.role_url(app_admin, roles.APP))  # fmt: skip


@pytest.mark.slow
def test_bad_orders_fail_the_input_check_and_never_reach_serving(make_database, tmp_path, stack_env) -> None:
    from data_platform.definitions import build_definitions
    from data_platform.demo import materialize_everything
    from data_platform.resources.settings import PlatformSettings
    from data_platform.simulator.run import SimulationConfig, simulate

    warehouse_admin, app_admin = make_database("contract_wh"), make_database("contract_app")
    simulate(SimulationConfig(start=START, days=2, scale=0.05), app_admin, tmp_path.as_uri())
    add_bad_orders(app_admin)
    warehouse_url, transform_url, app_url = as_roles(warehouse_admin, app_admin)
    platform = SimulatedPlatform({
        "PLATFORM_LAKE_URL": tmp_path.as_uri(),
        "PLATFORM_WAREHOUSE_URL": warehouse_url,
        "PLATFORM_WAREHOUSE_TRANSFORM_URL": transform_url,
        "PLATFORM_APP_DB_URL": app_url,
        "PLATFORM_REDIS_URL": stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/13",
        "PLATFORM_START_DATE": START.isoformat(),
        "PLATFORM_SPARK_MASTER": "local[1]",
    })  # fmt: skip
    instance = DagsterInstance.ephemeral()
    with platform.environment():
        defs = build_definitions(PlatformSettings.from_env())
        good = materialize_everything(defs, instance, START.isoformat(), START.isoformat())
        assert all(r.success for r in good)
        served = platform.rows(platform.app_db_url, "serving", "channel_summary")
        bad = materialize_everything(defs, instance, BAD_DAY.isoformat(), BAD_DAY.isoformat())

    check = AssetCheckKey(AssetKey(["lake", "orders"]), "input_contract")
    evaluation = next(e for e in bad[0].get_asset_check_evaluations() if e.asset_check_key == check)
    assert not evaluation.passed
    assert evaluation.metadata["offending_order_ids"].value == [EUR_ORDER, CANCELLED_ORDER]
    assert evaluation.metadata["partition"].value == BAD_DAY.isoformat()
    assert evaluation.metadata["violations"].value == {
        "currency = 'EUR' (allowed: USD, KRW)": [EUR_ORDER],
        "status = 'cancelled' (allowed: paid, refunded)": [CANCELLED_ORDER],
    }
    with psycopg.connect(platform.warehouse_url) as conn:
        loaded = conn.execute("SELECT count(*) FROM raw.orders WHERE order_id IN (%s, %s)",
                              (EUR_ORDER, CANCELLED_ORDER)).fetchone()[0]  # fmt: skip
        summary_days = conn.execute("SELECT DISTINCT event_date FROM analytics.channel_summary").fetchall()
    assert loaded == 0
    assert summary_days == [(START,)]
    assert platform.rows(platform.app_db_url, "serving", "channel_summary") == served
    assert {row[0] for row in served} == {START}


def test_nps_responses_have_keys_and_scores_within_zero_to_ten() -> None:
    nps = next(c for c in CONTRACTS if c.table == "nps_responses")
    table = pa.table({
        "response_id": [1, 2, 3, 4, None],
        "user_id": [10, None, 30, 40, 50],
        "score": pa.array([0, 10, 11, -1, None], pa.int16()),
        "created_at": pa.array([datetime(2026, 3, 1, tzinfo=UTC)] * 5),
    })  # fmt: skip
    assert violations(table, nps) == {
        "response_id is null": [None],
        "user_id is null": [2],
        "score = 11 (allowed: 0..10)": [3],
        "score = -1 (allowed: 0..10)": [4],
        "score = None (allowed: 0..10)": [None],
    }
    assert violations(table.slice(0, 1), nps) == {}
