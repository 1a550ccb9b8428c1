"""The clickstream's input contract at the raw boundary, through the real assets: values the
warehouse cannot store and one `event_id` dated on two days never block a day or slip in."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta

import psycopg
import pyarrow.parquet as pq

from data_platform.assets.raw.events import NEIGHBOURS

START, DAY = date(2026, 1, 1), date(2026, 1, 2)  # the shop fixture's first day and day under test
EVENTS = (["lake", "events"], ["raw", "events"])


def event(event_id: str, ts: str, **fields: object) -> bytes:
    base = {"event_id": event_id, "ts": ts, "user_id": 7, "session_id": f"s-{event_id}",
            "event_type": "page_view", "page": "/home", "channel": "organic",
            "experiments": {"exp_a": "control"}, "user_agent": "Mozilla/5.0"}  # fmt: skip
    return json.dumps({**base, **fields}).encode() + b"\n"


def land(shop, day: date, name: str, lines: list[bytes]) -> None:
    folder = shop.lake / "landing" / "clickstream" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(gzip.compress(b"".join(lines)))


def quarantined(shop, day: date, name: str) -> list[tuple[int, str]]:
    table = pq.read_table(shop.lake / "quarantine" / "clickstream" / f"date={day}" / "part-00000.parquet")
    return [(r["line_number"], r["reason"]) for r in table.to_pylist() if r["source_file"].endswith(f"/{name}")]


def loaded(shop, event_id: str) -> list[date]:
    with psycopg.connect(shop.warehouse_url) as conn:
        rows = conn.execute("SELECT event_date FROM raw.events WHERE event_id = %s ORDER BY 1", (event_id,)).fetchall()
    return [row[0] for row in rows]


def test_a_nul_in_a_string_is_quarantined_and_the_day_loads(shop) -> None:
    # The finding: `"page": "/a\u0000b"` passed validation, then failed the warehouse COPY.
    land(shop, DAY, "zz-nul.jsonl.gz", [
        event("nul-page", f"{DAY}T10:00:00Z", page="/a\u0000b"),
        event("nul-experiments", f"{DAY}T10:00:00Z", experiments={"exp\u0000": "a"}),
        event("lone-surrogate", f"{DAY}T10:00:00Z", page="/a\ud800b"),
        event("good-pair", f"{DAY}T10:00:00Z", page="/a\U0001f600b"),
    ])  # fmt: skip
    result = shop.run(*EVENTS)
    assert result.success
    assert quarantined(shop, DAY, "zz-nul.jsonl.gz") == [
        (1, "NUL in page"), (2, "NUL in experiments"), (3, "invalid surrogate escape")
    ]  # fmt: skip
    assert loaded(shop, "nul-page") == loaded(shop, "lone-surrogate") == []
    assert loaded(shop, "good-pair") == [DAY]


def test_one_event_id_dated_on_two_days_is_loaded_once(shop) -> None:
    # The finding: the same id with a ts on D in folder D and on D-1 in folder D gave two rows.
    previous = f"{START}T23:00:00Z"
    land(shop, DAY, "zz-twice.jsonl.gz", [
        event("twice-d-first", f"{DAY}T01:00:00Z"), event("twice-d-first", previous),
        event("twice-prev-first", previous), event("twice-prev-first", f"{DAY}T02:00:00Z"),
    ])  # fmt: skip
    # Day D first, then D-1: each run must see what the other already published.
    day_run = shop.run(*EVENTS)
    previous_run = shop.run(*EVENTS, day=START)
    assert day_run.success and previous_run.success
    assert loaded(shop, "twice-d-first") == [DAY]
    assert loaded(shop, "twice-prev-first") == [START]
    assert quarantined(shop, DAY, "zz-twice.jsonl.gz") == [
        (2, f"duplicate event_id: first landed for {DAY}"),
        (4, f"duplicate event_id: first landed for {START}"),
    ]
    meta = day_run.asset_materializations_for_node("lake__events")[0].metadata
    assert meta["cross_day_duplicates"].value == 2
    # Reruns in either order keep one row per id.
    assert shop.run(*EVENTS).success and shop.run(*EVENTS, day=START).success
    assert (loaded(shop, "twice-d-first"), loaded(shop, "twice-prev-first")) == ([DAY], [START])
    with psycopg.connect(shop.warehouse_url) as conn:
        total, distinct = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM raw.events").fetchone()
    assert total == distinct


def test_an_event_id_dated_days_apart_is_reported_by_the_warehouse_check(shop) -> None:
    # Each partition compares its ids with the partitions published within NEIGHBOURS days
    # only (not the whole history, every day): an id dated further apart loads twice, and the
    # blocking key check on raw.events fails instead of passing silently.
    first = date(2026, 1, 10)
    near, far = first + timedelta(days=NEIGHBOURS), first + timedelta(days=NEIGHBOURS + 1)
    land(shop, first, "zz-apart.jsonl.gz", [event("near", f"{first}T05:00:00Z"), event("far", f"{first}T06:00:00Z")])
    land(shop, near, "zz-apart.jsonl.gz", [event("near", f"{near}T05:00:00Z")])
    land(shop, far, "zz-apart.jsonl.gz", [event("far", f"{far}T05:00:00Z")])
    runs = [shop.run(*EVENTS, day=day) for day in (first, near, far)]
    assert (loaded(shop, "near"), loaded(shop, "far")) == ([first], [first, far])
    assert quarantined(shop, near, "zz-apart.jsonl.gz") == [(1, f"duplicate event_id: first landed for {first}")]
    # (Partition `near`'s one line is quarantined: its malformed share stops it before the load.)
    checks = [
        [(e.passed, e.metadata["duplicate_keys"].value) for e in run.get_asset_check_evaluations()
         if e.asset_key.path == ["raw", "events"]]
        for run in (runs[0], runs[2])
    ]  # fmt: skip
    assert checks == [[(True, 0)], [(False, 1)]]
