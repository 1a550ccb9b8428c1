"""A summary rebuild racing the archive of the same day: no row is lost or doubled.

The rebuild commits between the archive's count and its DELETE (it holds a table lock, as
a writer outside the engine's lock does, and commits the moment the DELETE waits on it),
with more rows or with as many rows of new values. The archive must then refuse and keep
the rebuilt rows, never delete rows it did not archive.
"""

from __future__ import annotations

import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pyarrow as pa
import pytest

from data_platform.assets.maintenance.archive import ArchiveMismatchError, archive_day, read_archive
from data_platform.assets.maintenance.retention_rules import rule_for
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.warehouse.resource import WarehouseResource

DAY = date(2026, 1, 5)
RULE = rule_for("analytics.channel_summary", 30)


def summary(day: date, channels: list[str], sessions: int) -> pa.Table:
    return pa.table({
        "event_date": pa.array([day] * len(channels), pa.date32()),
        "channel": channels,
        "sessions": pa.array([sessions] * len(channels), pa.int64()),
    })  # fmt: skip


def rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT * FROM analytics.channel_summary ORDER BY channel").fetchall()


def wait_for_blocked(url: str, query_start: str, timeout: float = 30.0) -> None:
    """Until a statement starting with `query_start` waits for a lock (the archive)."""
    deadline = clock.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while clock.monotonic() < deadline:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND starts_with(query, %s)", (query_start,),
            ).fetchone()[0]  # fmt: skip
            if waiting:
                return
            clock.sleep(0.05)
    raise AssertionError(f"the archive never waited at {query_start!r}")


@pytest.mark.parametrize(
    "rebuilt",
    [[(DAY, "ads", 11), (DAY, "email", 11), (DAY, "organic", 11)], [(DAY, "ads", 12), (DAY, "organic", 12)]],
    ids=["more_rows", "same_count_new_values"],
)
def test_a_rebuild_committing_between_count_and_delete_loses_nothing(make_database, tmp_path, rebuilt) -> None:
    url = make_database("archive_race")
    warehouse, lake = WarehouseResource(url=url), LakeResource(url=tmp_path.as_uri())
    window = (datetime.combine(DAY, time(), UTC), datetime.combine(DAY + timedelta(days=1), time(), UTC))
    warehouse.engine().write_partition("analytics", "channel_summary", summary(DAY, ["ads", "organic"], 10),
                                       "event_date", *window)  # fmt: skip

    outcome: dict[str, object] = {}
    with psycopg.connect(url) as rebuild:
        rebuild.execute("LOCK TABLE analytics.channel_summary IN SHARE ROW EXCLUSIVE MODE")
        rebuild.execute("DELETE FROM analytics.channel_summary WHERE event_date = %s", (DAY,))
        rebuild.cursor().executemany("INSERT INTO analytics.channel_summary VALUES (%s, %s, %s)", rebuilt)

        def archive() -> None:
            try:
                outcome["archived"] = archive_day(warehouse, lake, RULE, DAY)
            except Exception as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=archive)
        worker.start()
        wait_for_blocked(url, "DELETE FROM")
        rebuild.commit()
        worker.join(timeout=60)

    archived = read_archive(lake, RULE, DAY)
    kept = rows(url)
    if "error" in outcome:  # refused: the rebuilt day stays whole in the warehouse
        assert isinstance(outcome["error"], ArchiveMismatchError), outcome["error"]
        assert kept == rebuilt
    else:  # archived: exactly what was deleted is in the archive
        assert kept == []
        assert sorted(tuple(r.values()) for r in archived.to_pylist()) == rebuilt


def test_a_writer_sharing_the_lock_is_waited_for_and_its_rows_archived(make_database, tmp_path) -> None:
    """A dbt-style writer taking the engine's advisory lock (its pre-hook) is serialised with the archive."""
    url = make_database("archive_lock")
    warehouse, lake = WarehouseResource(url=url), LakeResource(url=tmp_path.as_uri())
    window = (datetime.combine(DAY, time(), UTC), datetime.combine(DAY + timedelta(days=1), time(), UTC))
    warehouse.engine().write_partition("analytics", "channel_summary", summary(DAY, ["ads", "organic"], 10),
                                       "event_date", *window)  # fmt: skip
    rebuilt = [(DAY, "ads", 13), (DAY, "organic", 13)]
    outcome: dict[str, object] = {}
    with psycopg.connect(url) as rebuild:
        rebuild.execute("SELECT pg_advisory_xact_lock(hashtextextended('analytics.channel_summary', 0))")
        rebuild.execute("DELETE FROM analytics.channel_summary WHERE event_date = %s", (DAY,))
        rebuild.cursor().executemany("INSERT INTO analytics.channel_summary VALUES (%s, %s, %s)", rebuilt)
        worker = threading.Thread(target=lambda: outcome.update(archived=archive_day(warehouse, lake, RULE, DAY)))
        worker.start()
        wait_for_blocked(url, "SELECT pg_advisory_xact_lock")
        rebuild.commit()
        worker.join(timeout=60)
    assert outcome["archived"].rows == 2 and rows(url) == []
    assert sorted(tuple(r.values()) for r in read_archive(lake, RULE, DAY).to_pylist()) == rebuilt
