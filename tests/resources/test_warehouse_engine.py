"""The write engine on the stack's real PostgreSQL: idempotence, windows, merges, swaps, drift."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
from psycopg import sql

from data_platform.resources.warehouse.contract import SchemaDriftError
from data_platform.resources.warehouse.engine import WarehouseEngine
from data_platform.resources.warehouse.resource import WarehouseResource

DAY = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def engine(warehouse: WarehouseResource) -> WarehouseEngine:
    return warehouse.engine()


def events(day: datetime, n: int, tag: str = "a") -> pa.Table:
    """`n` rows spread over one UTC day, with every column type the warehouse maps."""
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "ts": pa.array([day + timedelta(minutes=7 * i % 1440) for i in range(n)], pa.timestamp("us", "UTC")),
        "event_date": pa.array([day.date()] * n, pa.date32()),
        "amount": pa.array([Decimal(i) / 100 for i in range(n)], pa.decimal128(12, 2)),
        "score": pa.array([i / 3 for i in range(n)], pa.float64()),
        "ok": pa.array([i % 2 == 0 for i in range(n)]),
        "tag": pa.array([tag if i % 5 else None for i in range(n)], pa.string()),
        "attrs": pa.array([f'{{"i": {i}}}' for i in range(n)], pa.string()),
    })  # fmt: skip


def sorted_rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: (r["ts"], r["id"]))


def test_partition_write_is_idempotent(engine: WarehouseEngine, schema: str) -> None:
    data = events(DAY, 50)
    for _ in range(3):
        stats = engine.write_partition(schema, "events", data, "ts", DAY, DAY + timedelta(days=1),
                                       json_columns=["attrs"])  # fmt: skip
    assert (stats.rows, stats.deleted, stats.inserted) == (50, 50, 50)
    stored = engine.read(schema, "events")
    assert stored.num_rows == 50
    assert sorted_rows(stored) == sorted_rows(data.set_column(7, "attrs", stored.column("attrs")))
    assert stored.schema.field("amount").type == pa.decimal128(12, 2)
    assert stored.column("attrs")[3].as_py() == '{"i": 3}'  # stored as jsonb, read back as JSON text


def test_range_window_and_neighbours(engine: WarehouseEngine, schema: str) -> None:
    three_days = pa.concat_tables([events(DAY + timedelta(days=d), 10, tag=f"d{d}") for d in range(3)])
    engine.write_partition(schema, "events", three_days, "event_date", DAY, DAY + timedelta(days=3))
    second = DAY + timedelta(days=1)
    engine.write_partition(schema, "events", events(second, 4, tag="new"), "event_date", second,
                           second + timedelta(days=1))  # fmt: skip
    by_day = engine.read(schema, "events").to_pandas().groupby("event_date").size().to_dict()
    assert by_day == {date(2026, 1, 1): 10, date(2026, 1, 2): 4, date(2026, 1, 3): 10}
    window = engine.read(schema, "events", "event_date", second, second + timedelta(days=1))
    assert set(window.column("tag").to_pylist()) == {"new", None}


def test_rows_outside_the_window_are_refused(engine: WarehouseEngine, schema: str) -> None:
    engine.write_partition(schema, "events", events(DAY, 5), "ts", DAY, DAY + timedelta(days=1))
    stray = pa.concat_tables([events(DAY, 3), events(DAY + timedelta(days=1), 2)])
    with pytest.raises(ValueError, match=r"2 of 5 rows have 'ts' outside the window"):
        engine.write_partition(schema, "events", stray, "ts", DAY, DAY + timedelta(days=1))
    assert engine.read(schema, "events").num_rows == 5


def test_schema_drift_is_an_explicit_error(engine: WarehouseEngine, schema: str) -> None:
    data = events(DAY, 3)
    engine.write_partition(schema, "events", data, "ts", DAY, DAY + timedelta(days=1))
    window = ("ts", DAY, DAY + timedelta(days=1))
    with pytest.raises(SchemaDriftError, match=r"has no columns \['browser'\] that the data has"):
        engine.write_partition(schema, "events", data.append_column("browser", pa.array(["x"] * 3)), *window)
    with pytest.raises(SchemaDriftError, match=r"the data lacks columns \['score'\]"):
        engine.write_partition(schema, "events", data.drop_columns(["score"]), *window)


def users(rows: list[tuple[int, str, int, str | None]]) -> pd.DataFrame:
    """(user_id, email, modified hour, deleted_at) rows, as a source extract would give them."""
    frame = pd.DataFrame(rows, columns=["user_id", "email", "hour", "deleted_at"])
    frame["modified_at"] = [DAY + timedelta(hours=h) for h in frame.pop("hour")]
    frame["deleted_at"] = pd.to_datetime(frame["deleted_at"], utc=True)
    return frame


def test_merge_never_replaces_a_newer_row(engine: WarehouseEngine, schema: str) -> None:
    merge = lambda frame: engine.merge(schema, "users", frame, ["user_id"], "modified_at")  # noqa: E731
    merge(users([(1, "a@x", 1, None), (2, "b@x", 1, None)]))
    stats = merge(users([(1, "a2@x", 5, "2026-01-01T05:00:00Z"), (3, "c@x", 2, None), (3, "c2@x", 3, None)]))
    assert (stats.deleted, stats.inserted) == (1, 2)
    newest = {r["user_id"]: r for r in engine.read(schema, "users").to_pylist()}
    replay = merge(users([(1, "a@x", 1, None), (2, "b-old@x", 0, None), (3, "c@x", 2, None)]))
    assert (replay.deleted, replay.inserted) == (0, 0)
    after = {r["user_id"]: r for r in engine.read(schema, "users").to_pylist()}
    assert after == newest
    assert after[1]["email"] == "a2@x" and after[1]["deleted_at"] == DAY + timedelta(hours=5)
    assert after[3]["email"] == "c2@x"  # the newest of two staged versions of one key


def test_replace_readers_never_see_an_empty_table(
    engine: WarehouseEngine, warehouse: WarehouseResource, schema: str
) -> None:
    sizes = [40, 60]
    count = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "nps"))
    engine.replace(schema, "nps", events(DAY, sizes[0]), primary_key=["id"])
    seen: list[int] = []
    errors: list[Exception] = []
    done = threading.Event()

    def read_continuously() -> None:
        with warehouse.get_connection() as conn:
            while not done.is_set():
                try:
                    seen.append(conn.execute(count).fetchone()[0])
                except Exception as exc:  # recorded: any error fails the test below
                    errors.append(exc)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        for i in range(1, 9):
            engine.replace(schema, "nps", events(DAY, sizes[i % 2]), primary_key=["id"])
            time.sleep(0.02)
    finally:
        done.set()
        reader.join(timeout=30)
    assert not errors
    assert set(seen) == set(sizes) and len(seen) > 8
    assert engine.read(schema, "nps").num_rows == 40
    with warehouse.get_connection() as conn:
        leftovers = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    assert leftovers == [("nps",)]


def test_timestamps_keep_their_instant_in_any_zone(engine: WarehouseEngine, schema: str) -> None:
    seoul = pa.table({"ts": pa.array([DAY + timedelta(hours=3)], pa.timestamp("us", "Asia/Seoul"))})
    engine.write_partition(schema, "times", seoul, "ts", DAY, DAY + timedelta(days=1))
    assert engine.read(schema, "times").column("ts").to_pylist() == [DAY + timedelta(hours=3)]


def test_json_objects_from_pandas_keep_their_own_keys(engine: WarehouseEngine, schema: str) -> None:
    frame = pd.DataFrame({"ts": [DAY, DAY], "experiments": [{"exp_a": "control"}, {"exp_b": "b", "n": [1]}]})
    engine.write_partition(schema, "events", frame, "ts", DAY, DAY + timedelta(days=1), json_columns=["experiments"])
    stored = engine.read(schema, "events").column("experiments").to_pylist()
    assert sorted(stored) == ['{"exp_a": "control"}', '{"n": [1], "exp_b": "b"}']  # jsonb's key order


def test_every_write_leaves_fresh_statistics(engine: WarehouseEngine, schema: str) -> None:
    """The planner sees a table's real size right after a write (a day's COPY would otherwise be
    planned as an empty table until autovacuum runs): each write mode ends with ANALYZE."""
    end = DAY + timedelta(days=1)
    engine.write_partition(schema, "events", events(DAY, 300), "ts", DAY, end)
    engine.merge(schema, "merged", events(DAY, 200), ["id"], "ts")
    engine.replace(schema, "replaced", events(DAY, 100), primary_key=["id"])
    with engine.connect() as conn:
        stats = conn.execute(
            "SELECT s.relname, s.last_analyze IS NOT NULL, c.reltuples FROM pg_stat_user_tables s "
            "JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = %s ORDER BY s.relname", (schema,)
        ).fetchall()
    assert stats == [("events", True, 300.0), ("merged", True, 200.0), ("replaced", True, 100.0)]


def test_a_day_reads_its_own_rows_through_the_day_index(engine: WarehouseEngine, schema: str) -> None:
    """A partitioned table has an index on its day column, so a day's delete and a window's read
    use it instead of scanning every day the table holds (the plan says which)."""
    for day in range(30):
        engine.write_partition(schema, "events", events(DAY + timedelta(days=day), 200), "event_date",
                               DAY + timedelta(days=day), DAY + timedelta(days=day + 1))  # fmt: skip
    with engine.connect() as conn:
        indexes = conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = 'events'",
                               (schema,)).fetchall()  # fmt: skip
        plan = conn.execute(sql.SQL("EXPLAIN SELECT count(*) FROM {} WHERE event_date = %s").format(
            sql.Identifier(schema, "events")), (DAY.date(),)).fetchall()  # fmt: skip
    assert [d for (d,) in indexes if "(event_date)" in d], indexes
    assert "events__event_date_idx" in " ".join(line for (line,) in plan), plan
