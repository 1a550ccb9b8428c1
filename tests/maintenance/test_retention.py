"""Warehouse retention: 60 days with retention 30 → 30 days kept, 30 archived, restore exact."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest
from dagster import materialize

from data_platform.assets.maintenance.archive import (
    ArchiveMismatchError,
    archived_rows,
    delete_day,
    unload_statement,
)
from data_platform.assets.maintenance.restore import restore_days
from data_platform.assets.maintenance.retention import warehouse_archive
from data_platform.assets.maintenance.retention_rules import rule_for
from data_platform.assets.raw.clickstream.job import EVENTS
from data_platform.cli import main
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.warehouse.read import Column
from data_platform.resources.warehouse.resource import WarehouseResource

START, DAYS, KEEP = date(2026, 1, 1), 60, 30
AS_OF = START + timedelta(days=DAYS)  # the run after day 60
FIRST_KEPT = AS_OF - timedelta(days=KEEP)


def synthetic_events(start: date, days: int) -> pa.Table:
    """Events shaped like `raw.events` (JSON experiments, UTC timestamps), 20–60 a day."""
    rng, rows = random.Random(3), []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for i in range(rng.randint(20, 60)):
            ts = datetime.combine(day, time(), UTC) + timedelta(seconds=rng.randrange(86_400), microseconds=i)
            rows.append({
                "event_id": f"e-{day}-{i}", "ts": ts, "event_date": day, "user_id": rng.randrange(500),
                "session_id": f"s-{rng.randrange(200)}", "event_type": rng.choice(["page_view", "purchase"]),
                "page": f"/p/{i}", "channel": rng.choice(["ads", "organic"]),
                "experiments": json.dumps({"exp_1": rng.choice(["control", "b"])}) if i % 3 else "{}",
                "user_agent": "Mozilla/5.0 ünïcode",
            })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=EVENTS)


def day_rows(url: str, day: date) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT * FROM raw.events WHERE event_date = %s ORDER BY event_id", (day,)).fetchall()


def counts_by_day(url: str) -> dict[date, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT event_date, count(*) FROM raw.events GROUP BY 1").fetchall())


@pytest.fixture(scope="module")
def setup(make_database, tmp_path_factory: pytest.TempPathFactory):
    url = make_database("retention")
    warehouse = WarehouseResource(url=url)
    lake = LakeResource(url=tmp_path_factory.mktemp("retention-lake").as_uri())
    end = datetime.combine(AS_OF, time(), UTC)
    warehouse.engine().write_partition(
        "raw", "events", synthetic_events(START, DAYS), "event_date",
        datetime.combine(START, time(), UTC), end, json_columns=["experiments"],
    )  # fmt: skip
    original = {START + timedelta(days=i): day_rows(url, START + timedelta(days=i)) for i in range(DAYS)}
    result = run_retention(warehouse, lake)
    return warehouse, lake, original, result


def run_retention(warehouse: WarehouseResource, lake: LakeResource):
    config = {"retention_days": {"raw.events": KEEP}, "as_of": AS_OF.isoformat()}
    result = materialize([warehouse_archive], resources={"warehouse": warehouse, "transform_warehouse": warehouse, "lake": lake},
                         run_config={"ops": {"lake__warehouse_archive": {"config": config}}})  # fmt: skip
    assert result.success
    return result.asset_materializations_for_node("lake__warehouse_archive")[0].metadata


def test_warehouse_keeps_thirty_days_and_the_archive_the_rest(setup) -> None:
    warehouse, lake, original, metadata = setup
    kept = counts_by_day(warehouse.url)
    assert sorted(kept) == [FIRST_KEPT + timedelta(days=i) for i in range(KEEP)]
    assert all(kept[day] == len(original[day]) for day in kept)
    rule = rule_for("raw.events", KEEP)
    archived_days = [START + timedelta(days=i) for i in range(DAYS - KEEP)]
    for day in archived_days:
        assert archived_rows(lake, rule, day) == len(original[day]) > 0, day
        assert lake.exists(f"archive/raw/events/date={day}/part-00000.parquet")
    assert metadata["days_archived"].value == DAYS - KEEP
    assert metadata["rows_archived"].value == sum(len(original[d]) for d in archived_days)


def test_a_second_run_finds_nothing_more(setup) -> None:
    warehouse, lake, _, _ = setup
    assert run_retention(warehouse, lake)["days_archived"].value == 0


def test_restore_brings_days_back_identical_and_is_idempotent(setup) -> None:
    warehouse, lake, original, _ = setup
    days = [date(2026, 1, 10), date(2026, 1, 11)]
    for _ in range(2):
        report = restore_days(warehouse, lake, "raw.events", days[0], days[1])
        assert report.restored == {day: len(original[day]) for day in days} and not report.missing
    for day in days:
        assert day_rows(warehouse.url, day) == original[day]
    # Restored days are still past their retention: the next run archives them again, intact.
    assert run_retention(warehouse, lake)["days_archived"].value == 2
    assert min(counts_by_day(warehouse.url)) == FIRST_KEPT
    assert archived_rows(lake, rule_for("raw.events", KEEP), days[0]) == len(original[days[0]])


def test_restore_command(setup, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    warehouse, lake, original, _ = setup
    monkeypatch.setenv("PLATFORM_WAREHOUSE_URL", warehouse.url)
    monkeypatch.setenv("PLATFORM_LAKE_URL", lake.url)
    day = date(2026, 1, 5)
    args = ["restore", "--table", "raw.events", "--start", day.isoformat(), "--end", "2026-01-06"]
    assert main(args) == 0
    assert day_rows(warehouse.url, day) == original[day]
    assert "2026-01-05" in capsys.readouterr().out
    assert main(["restore", "--table", "raw.events", "--start", "2025-06-01", "--end", "2025-06-01"]) == 1
    for archived in (day, date(2026, 1, 6)):  # leave the warehouse as retention left it
        delete_day(warehouse, rule_for("raw.events", KEEP), archived, len(original[archived]))


def test_delete_refuses_when_counts_differ(setup) -> None:
    warehouse, _, original, _ = setup
    day = FIRST_KEPT
    with pytest.raises(ArchiveMismatchError, match="kept"):
        delete_day(warehouse, rule_for("raw.events", KEEP), day, len(original[day]) - 1)
    assert day_rows(warehouse.url, day) == original[day]


def test_redshift_unload_statement() -> None:
    rule = rule_for("raw.events", 90)
    columns = [Column("event_id", "character varying", None, None), Column("experiments", "super", None, None)]
    text = unload_statement(rule, columns, date(2026, 1, 31), "s3://lake/archive/raw/events/date=2026-01-31/part-",
                            "arn:aws:iam::1:role/unload").as_string(None)  # fmt: skip
    assert text == (
        "UNLOAD ('SELECT \"event_id\" AS \"event_id\", JSON_SERIALIZE(\"experiments\") AS \"experiments\""
        " FROM \"raw\".\"events\" WHERE \"event_date\" >= ''2026-01-31'' AND \"event_date\" < ''2026-02-01''')"
        " TO 's3://lake/archive/raw/events/date=2026-01-31/part-' IAM_ROLE 'arn:aws:iam::1:role/unload'"
        " FORMAT AS PARQUET PARALLEL OFF ALLOWOVERWRITE"
    )


def test_archive_on_s3(make_database, s3_endpoint: str, tmp_path: Path) -> None:
    url = make_database("retention_s3")
    warehouse = WarehouseResource(url=url)
    lake = LakeResource(url="s3://lake/retention-test", s3_endpoint_url=s3_endpoint)
    data = synthetic_events(START, 3)
    warehouse.engine().write_partition("raw", "events", data, "event_date", datetime.combine(START, time(), UTC),
                                       datetime.combine(START + timedelta(days=3), time(), UTC),
                                       json_columns=["experiments"])  # fmt: skip
    before = day_rows(url, START)
    config = {"retention_days": {"raw.events": 1}, "as_of": (START + timedelta(days=3)).isoformat()}
    assert materialize([warehouse_archive], resources={"warehouse": warehouse, "transform_warehouse": warehouse, "lake": lake},
                       run_config={"ops": {"lake__warehouse_archive": {"config": config}}}).success  # fmt: skip
    assert sorted(counts_by_day(url)) == [START + timedelta(days=2)]
    assert restore_days(warehouse, lake, "raw.events", START, START).restored == {START: len(before)}
    assert day_rows(url, START) == before
