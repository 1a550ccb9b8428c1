"""The shipped models on a real PostgreSQL: exact numbers, ranges, reruns and checks."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest
from dagster import AssetKey, AssetSelection, Definitions, materialize
from scipy.stats import chisquare, norm

from data_platform.assets.summary import build_summary_assets

RANGE = {"dagster/asset_partition_range_start": "2026-01-10", "dagster/asset_partition_range_end": "2026-01-12"}
D10, D11, D12 = date(2026, 1, 10), date(2026, 1, 11), date(2026, 1, 12)


@pytest.fixture(scope="module")
def assets(partitions):
    return build_summary_assets(partitions)


def run(assets, warehouse, names, **kwargs):
    """Materialize the named models (dbt build: each model, then its tests) and check every test passed."""
    keys = [AssetKey(["analytics", n]) for n in names]
    result = materialize(assets, selection=AssetSelection.assets(*keys), resources={"transform_warehouse": warehouse}, **kwargs)
    assert result.success
    assert {m.asset_key for m in result.get_asset_materialization_events() and
            [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]} == set(keys)
    checks = result.get_asset_check_evaluations()
    expected = {spec.key for a in assets for spec in a.check_specs if spec.asset_key in keys}
    assert {c.asset_check_key for c in checks} == expected
    assert all(c.passed for c in checks), [(c.check_name, c.metadata) for c in checks if not c.passed]
    return result


# Hand arithmetic from the fixture rows (conftest), following the definitions literally.
CHANNEL_SUMMARY = [
    # day 10 ads: s1 (user 1), s4 (user 3, crosses midnight); orders 1 (100 paid), 2 (50 refunded),
    # 3 (20000 KRW at day 11's 0.0008 = 16.00, paid) -> gross 166.00, net 116.00
    (D10, "ads", 2, 2, 2, 1.0, Decimal("166.00"), Decimal("116.00")),
    # s3 (user 1), s6 (user 5: the late e9 at 23:59 makes it start on day 10 by email), s9 (user 7);
    # order 6 (15.50 refunded) -> gross 15.50, net 0
    (D10, "email", 3, 3, 1, 1 / 3, Decimal("15.50"), Decimal("0.00")),
    # s2 (user 2; its order 4 is soft-deleted), s7 (user 6)
    (D10, "organic", 2, 2, 0, 0.0, Decimal("0.00"), Decimal("0.00")),
    (D11, "ads", 1, 1, 0, 0.0, Decimal("0.00"), Decimal("0.00")),  # s8 (user 6)
    # s10 (user 8): order 5, 12345 KRW * 0.0008 = 9.876 -> 9.88
    (D11, "organic", 1, 1, 1, 1.0, Decimal("9.88"), Decimal("9.88")),
    (D12, "ads", 1, 1, 1, 1.0, Decimal("40.00"), Decimal("40.00")),  # s11: order 7
]
DAILY_REVENUE = [
    (D10, 3, 2, Decimal("160.00"), Decimal("50.00"), Decimal("110.00")),  # orders 1, 2, 8 (4 deleted)
    (D11, 3, 3, Decimal("41.38"), Decimal("15.50"), Decimal("25.88")),  # 16.00 + 9.876 + 15.50
    (D12, 1, 1, Decimal("40.00"), Decimal("0.00"), Decimal("40.00")),
]


def channel_rows(fetch):
    rows = fetch("SELECT * FROM analytics.channel_summary ORDER BY event_date, channel")
    return [(*r[:5], pytest.approx(r[5]), *r[6:]) for r in rows]


def test_range_then_single_day_rerun(assets, warehouse, fetch):
    run(assets, warehouse, ["orders_usd", "channel_summary", "daily_revenue"], tags=RANGE)
    assert channel_rows(fetch) == CHANNEL_SUMMARY
    assert fetch("SELECT * FROM analytics.daily_revenue ORDER BY order_date") == DAILY_REVENUE

    before = fetch("SELECT * FROM analytics.channel_summary ORDER BY 1, 2")
    for _ in range(2):
        run(assets, warehouse, ["channel_summary", "daily_revenue"], partition_key="2026-01-11")
    assert fetch("SELECT * FROM analytics.channel_summary ORDER BY 1, 2") == before
    assert fetch("SELECT * FROM analytics.daily_revenue ORDER BY order_date") == DAILY_REVENUE


def test_single_partition_writes_only_its_day(assets, warehouse, fetch):
    run(assets, warehouse, ["daily_revenue"], partition_key="2026-01-12")
    counts = fetch("SELECT order_date, COUNT(*) FROM analytics.daily_revenue GROUP BY 1 ORDER BY 1")
    assert counts == [(D10, 1), (D11, 1), (D12, 1)]


def p_value(x_t: int, n_t: int, x_c: int, n_c: int) -> float:
    pooled = (x_t + x_c) / (n_t + n_c)
    z = (x_t / n_t - x_c / n_c) / math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    return math.erfc(abs(z) / math.sqrt(2))


def difference_interval(x_t: int, n_t: int, x_c: int, n_c: int) -> tuple[float, float, float]:
    p_t, p_c = x_t / n_t, x_c / n_c
    error = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    return p_t - p_c, p_t - p_c - norm.ppf(0.975) * error, p_t - p_c + norm.ppf(0.975) * error


def sample_ratio(*users: int) -> tuple[float, float]:
    """Chi-square statistic and p-value of the users per variant against an equal split."""
    statistic, p = chisquare(users)
    return float(statistic), float(p)


def test_ab_test_results(assets, warehouse, fetch):
    # A paid order of user 6 placed before their first exposure (day 10, 09:00) converts nobody.
    # (The last test of the module: the order stays in this module's database.)
    fetch("INSERT INTO raw.orders VALUES (95, 6, NULL, 3.00, 'USD', 'paid', '2026-01-10 08:00+00',"
          " '2026-01-10 08:00+00', NULL) RETURNING order_id")  # fmt: skip
    run(assets, warehouse, ["orders_usd", "experiment_exposures"], tags=RANGE)
    for _ in range(2):  # a full refresh twice gives the same table
        run(assets, warehouse, ["ab_test_results"])
    rows = fetch(
        "SELECT experiment_id, variant, users, converters, conversion_rate, lift_vs_control, p_value,"
        " difference_vs_control, difference_ci_low, difference_ci_high, srm_chi_square, srm_p_value"
        " FROM analytics.ab_test_results ORDER BY 1, 2"
    )
    # checkout: control = users 1, 5, 7 (7's first event has no experiments); treatment = 2, 3, 6, 8
    # (6 saw treatment first, control later). Converters (a paid, non-deleted order at or after the
    # exposure): 1 | 2 (order 4 deleted, order 7 not), 3, 8; not 5 (refunded) nor 6 (paid before).
    # Banner: control = 6 (no order), treatment = 2.
    checkout_srm, banner_srm = sample_ratio(3, 4), sample_ratio(1, 1)
    none3 = (None, None, None)
    expected = [
        ("checkout_button", "control", 3, 1, 1 / 3, None, None, *none3, *checkout_srm),
        ("checkout_button", "treatment", 4, 3, 0.75, 0.75 / (1 / 3) - 1, p_value(3, 4, 1, 3),
         *difference_interval(3, 4, 1, 3), *checkout_srm),
        ("free_shipping_banner", "control", 1, 0, 0.0, None, None, *none3, *banner_srm),
        ("free_shipping_banner", "treatment", 1, 1, 1.0, None, p_value(1, 1, 0, 1),  # control rate 0: no lift
         *difference_interval(1, 1, 0, 1), *banner_srm),
    ]  # fmt: skip
    assert rows == [tuple(pytest.approx(v) if isinstance(v, float) else v for v in row) for row in expected]


def test_a_run_reuses_the_previous_runs_parse(assets, warehouse, other_warehouse, fetch, capfd):
    """The window is read when the SQL runs, not while dbt parses: a run of another day
    starts from the parse the previous run kept, instead of parsing the whole project. A run
    against another warehouse in between (another deployment or test on this code) keeps its
    parse apart."""
    other_days = "SELECT * FROM analytics.daily_revenue WHERE order_date NOT IN ('2026-01-10', '2026-01-11') ORDER BY 1"
    before = fetch(other_days)
    run(assets, warehouse, ["daily_revenue"], partition_key="2026-01-10")
    run(assets, other_warehouse, ["orders_usd", "daily_revenue"], partition_key="2026-01-10")
    capfd.readouterr()
    run(assets, warehouse, ["daily_revenue"], partition_key="2026-01-11")
    out = capfd.readouterr().out
    assert "Registered adapter" in out, "dbt's own log is not in the run's output"
    assert "partial parsing" not in out.lower(), out[-3000:]
    assert before and fetch(other_days) == before, "a run wrote outside its day"


def test_a_late_event_moves_a_session_back_a_day_and_both_days_follow(assets, partitions, make_database, raw_rows):
    """e9 (23:59 on day 10) arrives after days 10 and 11 were built: session s6 began on day 10,
    not 11. The days channel_summary rebuilds for a reload of raw.events day 10 are the ones
    its partition mapping names (10 and 11: the session bound's look-back); after them every
    day equals the hand computation over all events (CHANNEL_SUMMARY)."""
    import psycopg

    from data_platform.resources.warehouse.resource import WarehouseResource

    events_rows, load_raw, insert_events = raw_rows
    late = [e for e in events_rows if e[0] == "e9"]
    url = make_database("late_session")
    with psycopg.connect(url, autocommit=True) as conn:
        load_raw(conn, [e for e in events_rows if e[0] != "e9"])
    warehouse = WarehouseResource(url=url)
    run(assets, warehouse, ["orders_usd", "channel_summary"], tags=RANGE)
    query = "SELECT event_date, channel, sessions FROM analytics.channel_summary ORDER BY 1, 2"
    with psycopg.connect(url, autocommit=True) as conn:
        assert (D11, "organic", 2) in conn.execute(query).fetchall()  # s6 counted on day 11 without e9
        insert_events(conn, late)  # raw.events of day 10 reloaded with the late event

    graph = Definitions(assets=assets, resources={"transform_warehouse": warehouse}).resolve_asset_graph()
    mapping = graph.get_partition_mapping(AssetKey(["analytics", "channel_summary"]), AssetKey(["raw", "events"]))
    reloaded = partitions.subset_with_partition_keys(["2026-01-10"])
    days = sorted(mapping.get_downstream_partitions_for_partitions(reloaded, partitions, partitions).get_partition_keys())
    assert days == ["2026-01-10", "2026-01-11"]
    run(assets, warehouse, ["channel_summary"], tags={"dagster/asset_partition_range_start": days[0],
                                                      "dagster/asset_partition_range_end": days[-1]})  # fmt: skip
    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        rows = conn.execute("SELECT * FROM analytics.channel_summary ORDER BY event_date, channel").fetchall()
    assert [(*r[:5], pytest.approx(r[5]), *r[6:]) for r in rows] == CHANNEL_SUMMARY
