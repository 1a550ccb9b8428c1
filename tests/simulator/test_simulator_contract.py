"""The simulated sources keep the contract: app DB tables, clickstream lines and their faults."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from data_platform.simulator.run import SimulationConfig, SimulationSummary, simulate

START = date(2026, 1, 1)
REQUIRED = {"event_id": str, "ts": str, "user_id": int, "session_id": str, "event_type": str,
            "page": str, "channel": str, "experiments": dict, "user_agent": str}


def problem(line: str) -> str | None:
    """Why a line is malformed under the contract, or None when it is a valid event."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return "not json"
    if not isinstance(event, dict):
        return "not an object"
    for name, kind in REQUIRED.items():
        if name not in event:
            return "missing field"
        value = event[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"{name} type"
    if not event["event_id"] or not event["session_id"]:
        return "empty id"
    if event["event_type"] not in ("page_view", "add_to_cart", "purchase"):
        return "event_type value"
    try:
        datetime.fromisoformat(event["ts"])
    except ValueError:
        return "ts value"
    return None


@pytest.fixture(scope="module")
def run(fresh_db, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, SimulationSummary]:
    db_url, lake = fresh_db(), tmp_path_factory.mktemp("lake")
    summary = simulate(SimulationConfig(start=START, days=3), db_url, lake.as_uri())
    return db_url, lake, summary


@pytest.fixture(scope="module")
def folders(run, read) -> dict[str, list[str]]:
    """The lines of each landing folder."""
    return read.folders(run[1])


def test_app_tables_have_the_contract_columns(run) -> None:
    expected = {
        "users": [("user_id", "bigint"), ("email", "text"), ("channel", "text"), ("country", "text"),
                  ("signup_at", "timestamp with time zone"), ("created_at", "timestamp with time zone"),
                  ("modified_at", "timestamp with time zone"), ("deleted_at", "timestamp with time zone")],
        "orders": [("order_id", "bigint"), ("user_id", "bigint"), ("session_id", "text"),
                   ("amount", "numeric"), ("currency", "text"), ("status", "text"),
                   ("created_at", "timestamp with time zone"), ("modified_at", "timestamp with time zone"),
                   ("deleted_at", "timestamp with time zone")],
        "nps_responses": [("response_id", "bigint"), ("user_id", "bigint"), ("score", "smallint"),
                          ("created_at", "timestamp with time zone")],
    }
    with psycopg.connect(run[0]) as conn:
        for table, columns in expected.items():
            found = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                (table,)).fetchall()
            assert found == columns, table
        precision = conn.execute(
            "SELECT numeric_precision, numeric_scale FROM information_schema.columns "
            "WHERE table_name = 'orders' AND column_name = 'amount'").fetchone()
        assert precision == (12, 2)


def test_orders_are_purchase_events(run, folders) -> None:
    purchases = {}
    for lines in folders.values():
        for line in lines:
            if problem(line) is None and (event := json.loads(line))["event_type"] == "purchase":
                purchases[event["session_id"]] = (event["user_id"], datetime.fromisoformat(event["ts"]))
    with psycopg.connect(run[0]) as conn:
        orders = conn.execute("SELECT session_id, user_id, created_at FROM public.orders").fetchall()
    assert len(orders) > 200
    # The last day's late purchases are still on their way (in the next, unwritten folder).
    arrived = [o for o in orders if o[0] in purchases]
    assert len(arrived) > 0.97 * len(orders)
    assert all(o[2] >= datetime.fromisoformat("2026-01-03T00:00Z") for o in orders if o not in arrived)
    for session_id, user_id, created_at in arrived:
        assert purchases[session_id] == (user_id, created_at)


def test_rows_are_plausible_and_change_honestly(run) -> None:
    with psycopg.connect(run[0]) as conn:
        one = lambda query: conn.execute(query).fetchone()  # noqa: E731
        assert one("SELECT count(*) FROM public.users WHERE created_at > modified_at") == (0,)
        assert one("SELECT count(*) FROM public.orders WHERE created_at > modified_at") == (0,)
        assert one("SELECT count(*) FROM public.users WHERE signup_at > created_at") == (0,)
        # Changes drawn for days not simulated yet have not happened.
        assert one("SELECT max(modified_at) < '2026-01-04T00:00Z' FROM public.users") == (True,)
        assert one("SELECT max(modified_at) < '2026-01-04T00:00Z' FROM public.orders") == (True,)
        assert one("SELECT count(*) > 0 FROM public.simulator_changes") == (True,)
        # Updates, refunds and soft deletes did happen, each stamped with its own time.
        assert one("SELECT count(*) FROM public.users WHERE modified_at > created_at")[0] > 20
        assert one("SELECT count(*) FROM public.users WHERE deleted_at = modified_at")[0] > 5
        assert one("SELECT count(*) FROM public.orders WHERE status = 'refunded'")[0] > 3
        amounts = dict(conn.execute("SELECT currency, avg(amount) FROM public.orders GROUP BY 1").fetchall())
        assert 20 < amounts["USD"] < 150 and 25_000 < amounts["KRW"] < 200_000
        assert one("SELECT count(*) FROM public.orders WHERE currency = 'KRW' AND amount % 100 <> 0") == (0,)
        scores = one("SELECT min(score), max(score), count(*) FROM public.nps_responses")
        assert scores[0] >= 0 and scores[1] <= 10 and scores[2] > 30


def test_lines_and_their_faults_match_the_stated_rates(run, folders) -> None:
    lines = [line for day in ("date=2026-01-01", "date=2026-01-02", "date=2026-01-03") for line in folders[day]]
    reasons = Counter(problem(line) for line in lines)
    malformed = sum(n for reason, n in reasons.items() if reason)
    assert 0.003 < malformed / len(lines) < 0.008
    assert {"not json", "missing field", "user_id type", "ts value", "event_type value",
            "experiments type"} <= set(reasons)
    valid = [line for line in lines if problem(line) is None]
    content = defaultdict(set)
    for line in valid:
        content[json.loads(line)["event_id"]].add(line)
    assert all(len(copies) == 1 for copies in content.values())  # duplicates repeat content
    assert 0.006 < (len(valid) - len(content)) / len(content) < 0.015


def test_some_events_arrive_a_day_late(run, folders) -> None:
    for day, following in (("2026-01-01", "2026-01-02"), ("2026-01-02", "2026-01-03")):
        on_time = {json.loads(x)["event_id"] for x in folders[f"date={day}"] if problem(x) is None}
        later = {json.loads(x)["event_id"] for x in folders[f"date={following}"]
                 if problem(x) is None and json.loads(x)["ts"].startswith(day)}
        late = later - on_time
        assert 0.01 < len(late) / len(on_time | late) < 0.03
        assert 15_000 < len(on_time | late) < 25_000  # about 20k events a day at scale 1


def test_sessions_channels_and_experiments(run, folders) -> None:
    events = [json.loads(x) for lines in folders.values() for x in lines if problem(x) is None]
    per_session = defaultdict(set)
    per_user = defaultdict(set)
    for event in events:
        per_session[event["session_id"]].add((event["user_id"], event["channel"]))
        per_user[event["user_id"]].add(json.dumps(event["experiments"], sort_keys=True))
    assert all(len(values) == 1 for values in per_session.values())
    assert all(len(values) == 1 for values in per_user.values())
    channels = Counter(channel for values in per_session.values() for _, channel in values)
    assert set(channels) == {"organic", "paid_search", "social", "email", "referral"}
    assigned = {user: json.loads(next(iter(v))) for user, v in per_user.items()}
    without_banner = sum("free_shipping_banner" not in a for a in assigned.values())
    assert 0.2 < without_banner / len(assigned) < 0.4
    buyers = {e["user_id"] for e in events if e["event_type"] == "purchase"}
    rate = {variant: sum(u in buyers for u, a in assigned.items() if a["checkout_button"] == variant)
            / sum(a["checkout_button"] == variant for a in assigned.values())
            for variant in ("control", "treatment")}
    assert rate["treatment"] > rate["control"] > 0.02
