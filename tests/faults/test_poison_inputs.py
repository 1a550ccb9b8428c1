"""Poison inputs through the real raw assets: quarantined with counts, or a clear error."""

from __future__ import annotations

import gzip
from datetime import date

import psycopg
import pyarrow.parquet as pq
from dagster import DagsterEventType

DAY = date(2026, 1, 2)  # the shop fixture's day under test
EVENTS = (["lake", "events"], ["raw", "events"])


def test_broken_landing_files_are_quarantined_with_counts(shop) -> None:
    folder = shop.lake / "landing" / "clickstream" / f"date={DAY}"
    good = sorted(folder.glob("*.jsonl.gz"))[0].read_bytes()
    (folder / "zz-truncated.jsonl.gz").write_bytes(good[: len(good) // 2])
    (folder / "zz-empty.jsonl.gz").write_bytes(b"")
    (folder / "zz-latin1.jsonl.gz").write_bytes(gzip.compress("{\"page\": \"caf\xe9\"}\n".encode("latin-1")))
    (folder / "zz-huge.jsonl.gz").write_bytes(gzip.compress(b"{\"event_id\": \"" + b"x" * (10 * 1024 * 1024) + b"\n"))

    result = shop.run(*EVENTS)
    assert result.success
    meta = result.asset_materializations_for_node("lake__events")[0].metadata
    quarantine = pq.read_table(shop.lake / "quarantine" / "clickstream" / f"date={DAY}" / "part-00000.parquet")
    by_file = {}
    for row in quarantine.to_pylist():
        by_file.setdefault(row["source_file"].rsplit("/", 1)[-1], []).append(row)
    assert {"zz-truncated.jsonl.gz", "zz-empty.jsonl.gz", "zz-latin1.jsonl.gz", "zz-huge.jsonl.gz"} <= set(by_file)
    assert meta["unreadable_files"].value >= 2  # the cut file and the empty one
    assert meta["malformed"].value == quarantine.num_rows
    huge = by_file["zz-huge.jsonl.gz"][0]
    assert len(huge["raw_line"]) < 1024 * 1024  # a readable prefix, not 10 MB in every report
    with psycopg.connect(shop.warehouse_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT event_id FROM raw.events WHERE event_date = %s", (DAY,))]
    assert len(ids) == len(set(ids)) == meta["events_written"].value > 0


def test_a_dropped_source_column_fails_naming_it(shop, make_database, monkeypatch) -> None:
    drifted = make_database("faults_drift")
    with psycopg.connect(shop.app_db_url) as source, psycopg.connect(drifted) as copy:
        columns = ", ".join(f"{name} {kind}" for name, kind in source.execute(
            "SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema.columns c"
            " JOIN pg_attribute a ON a.attrelid = 'public.orders'::regclass AND a.attname = c.column_name"
            " WHERE table_name = 'orders' ORDER BY ordinal_position").fetchall())  # fmt: skip
        copy.execute(f"CREATE TABLE public.orders ({columns})")
        with source.cursor().copy("COPY public.orders TO STDOUT") as out, copy.cursor().copy("COPY public.orders FROM STDIN") as into:
            for chunk in out:
                into.write(chunk)
        copy.execute("ALTER TABLE public.orders DROP COLUMN currency")
    monkeypatch.setenv("PLATFORM_APP_DB_URL", drifted)
    result = shop.run(["lake", "orders"])
    failures = [e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure]
    assert not result.success
    assert "SourceSchemaError" in failures[0] and "public.orders lacks column(s) currency" in failures[0]
    assert any(e.event_type == DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)
