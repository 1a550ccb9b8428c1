"""The summary and production layers equal an independent computation from the sources.

Expected values are computed here with pandas straight from the landing files, the app DB
and the rates function, following the tables' documented definitions literally (the SQL
models' headers, `feature_sql.py`'s docstring).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import psycopg
import pytest
import redis
from harness import SimulatedPlatform, landing_events
from scipy.stats import chisquare, norm

from data_platform.simulator.rates import rates_for


@pytest.fixture(scope="module")
def sources(simulated_platform: SimulatedPlatform) -> dict[str, pd.DataFrame]:
    events = pd.DataFrame(landing_events(simulated_platform.lake).values())
    # Late events of the day before the first partition belong to no partition.
    events = events[events["ts"].map(lambda ts: ts.date()) >= simulated_platform.START]
    events = events.sort_values(["ts", "event_id"])
    sessions = events.groupby("session_id", sort=False).first().reset_index()
    sessions["start_date"] = sessions["ts"].map(lambda ts: ts.date())
    with psycopg.connect(simulated_platform.app_db_url) as conn:
        orders = pd.DataFrame(
            conn.execute("SELECT order_id, user_id, session_id, amount, currency, status, created_at "
                         "FROM orders WHERE deleted_at IS NULL").fetchall(),
            columns=["order_id", "user_id", "session_id", "amount", "currency", "status", "created_at"],
        )
        users = dict(conn.execute("SELECT user_id, channel FROM users").fetchall())
    orders["order_date"] = orders["created_at"].map(lambda ts: ts.date())
    orders["usd"] = [
        float(amount) / rates_for(day)[currency] for amount, currency, day
        in zip(orders["amount"], orders["currency"], orders["order_date"], strict=True)
    ]
    return {"events": events, "sessions": sessions, "orders": orders, "users": users}


def query(url: str, text: str) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(text)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


def days(platform: SimulatedPlatform) -> list[date]:
    return [platform.START + timedelta(days=i) for i in range(platform.DAYS)]


def test_channel_summary(simulated_platform: SimulatedPlatform, sources) -> None:
    sessions, orders = sources["sessions"], sources["orders"]
    actual = query(simulated_platform.warehouse_url, "SELECT * FROM analytics.channel_summary").set_index(["event_date", "channel"])
    expected = {}
    for (day, channel), group in sessions.groupby(["start_date", "channel"]):
        if day not in days(simulated_platform):
            continue
        bought = orders[orders["session_id"].isin(set(group["session_id"]))]
        unique_users = group["user_id"].nunique()
        expected[(day, channel)] = (
            len(group), unique_users, bought["user_id"].nunique(),
            bought["user_id"].nunique() / unique_users,
            bought["usd"].sum(), bought.loc[bought["status"] == "paid", "usd"].sum(),
        )
    assert set(actual.index) == set(expected)
    for key, (n, users, paid, rate, gross, net) in expected.items():
        row = actual.loc[key]
        assert (row["sessions"], row["unique_users"], row["paid_users"]) == (n, users, paid), key
        assert row["conversion_rate"] == pytest.approx(rate)
        assert float(row["gross_revenue_usd"]) == pytest.approx(gross, abs=0.02)
        assert float(row["net_revenue_usd"]) == pytest.approx(net, abs=0.02)


def test_daily_revenue(simulated_platform: SimulatedPlatform, sources) -> None:
    orders = sources["orders"]
    actual = query(simulated_platform.warehouse_url, "SELECT * FROM analytics.daily_revenue").set_index("order_date")
    assert sorted(actual.index) == days(simulated_platform)
    for day in days(simulated_platform):
        group = orders[orders["order_date"] == day]
        refunded = group.loc[group["status"] == "refunded", "usd"].sum()
        row = actual.loc[day]
        assert (row["orders"], row["paying_users"]) == (len(group), group["user_id"].nunique())
        assert float(row["gross_revenue_usd"]) == pytest.approx(group["usd"].sum(), abs=0.02)
        assert float(row["refunded_usd"]) == pytest.approx(refunded, abs=0.02)
        assert float(row["net_revenue_usd"]) == pytest.approx(group["usd"].sum() - refunded, abs=0.02)


def test_ab_test_results(simulated_platform: SimulatedPlatform, sources) -> None:
    events, orders = sources["events"], sources["orders"]
    exposures = [
        (experiment, variant, user, ts)
        for user, ts, experiments in zip(events["user_id"], events["ts"], events["experiments"], strict=True)
        for experiment, variant in experiments.items()
    ]  # events are sorted by (ts, event_id): the first row per experiment and user is the exposure
    first = pd.DataFrame(exposures, columns=["experiment_id", "variant", "user_id", "exposed_at"]).drop_duplicates(["experiment_id", "user_id"])
    paid = orders[orders["status"] == "paid"].groupby("user_id")["created_at"].max()
    # a converter has a paid, non-deleted order at or after the exposure (the latest one is enough)
    first["converter"] = [user in paid.index and paid[user] >= exposed for user, exposed in zip(first["user_id"], first["exposed_at"], strict=True)]
    counts = first.groupby(["experiment_id", "variant"])["converter"].agg(["count", "sum"])
    actual = query(simulated_platform.warehouse_url, "SELECT * FROM analytics.ab_test_results").set_index(["experiment_id", "variant"])
    assert set(actual.index) == set(counts.index)
    for (experiment, variant), (users, converters) in counts.iterrows():
        row = actual.loc[(experiment, variant)]
        assert (row["users"], row["converters"]) == (users, converters)
        assert row["conversion_rate"] == pytest.approx(converters / users)
        statistic, p = chisquare(counts.loc[experiment]["count"].to_numpy())
        assert (row["srm_chi_square"], row["srm_p_value"]) == (pytest.approx(statistic), pytest.approx(p))
        if variant == "control":
            assert row["lift_vs_control"] is None or math.isnan(row["lift_vs_control"])
            assert row["p_value"] is None or math.isnan(row["p_value"])
            continue
        c_users, c_conv = counts.loc[(experiment, "control")]
        lift = (converters / users) / (c_conv / c_users) - 1
        pooled = (converters + c_conv) / (users + c_users)
        z = (converters / users - c_conv / c_users) / math.sqrt(pooled * (1 - pooled) * (1 / users + 1 / c_users))
        assert row["lift_vs_control"] == pytest.approx(lift)
        assert row["p_value"] == pytest.approx(2 * norm.sf(abs(z)))
        rate, c_rate = converters / users, c_conv / c_users
        half = norm.ppf(0.975) * math.sqrt(rate * (1 - rate) / users + c_rate * (1 - c_rate) / c_users)
        assert row["difference_vs_control"] == pytest.approx(rate - c_rate)
        assert (row["difference_ci_low"], row["difference_ci_high"]) == (pytest.approx(rate - c_rate - half), pytest.approx(rate - c_rate + half))


def test_user_features_in_redis(simulated_platform: SimulatedPlatform, sources) -> None:
    events, sessions, orders = sources["events"], sources["sessions"], sources["orders"]
    day = simulated_platform.last
    client = redis.Redis.from_url(simulated_platform.redis_url, decode_responses=True)
    assert client.get("user_features:current") == day.isoformat()
    seen = events[events["ts"].map(lambda ts: ts.date()) <= day]
    recent_sessions = sessions[sessions["start_date"].between(day - timedelta(days=6), day)]
    recent_orders = orders[orders["order_date"].between(day - timedelta(days=29), day)]
    keys = list(client.scan_iter(f"user_features:{day}:*", count=1000))
    user_keys = [key for key in keys if not key.endswith("__meta")]
    assert len(user_keys) == seen["user_id"].nunique()
    for user_id, user_events in seen.groupby("user_id"):
        features = client.hgetall(f"user_features:{day}:{user_id}")
        mine = recent_orders[recent_orders["user_id"] == user_id]
        assert int(features["sessions_7d"]) == int((recent_sessions["user_id"] == user_id).sum())
        assert int(features["orders_30d"]) == len(mine)
        assert float(features["revenue_30d_usd"]) == pytest.approx(mine.loc[mine["status"] == "paid", "usd"].sum(), abs=0.02)
        assert datetime.fromisoformat(features["last_seen_at"]) == user_events["ts"].max()
        assert features["channel"] == sources["users"][user_id]


def test_serving_copy_equals_the_warehouse(simulated_platform: SimulatedPlatform) -> None:
    order = "SELECT * FROM {} ORDER BY event_date, channel"
    warehouse = query(simulated_platform.warehouse_url, order.format("analytics.channel_summary"))
    serving = query(simulated_platform.app_db_url, order.format("serving.channel_summary"))
    pd.testing.assert_frame_equal(warehouse, serving, check_dtype=False)
