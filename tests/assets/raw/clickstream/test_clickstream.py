"""Clickstream landing files → events and quarantine, on a real local Spark session."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import build_init_resource_context
from pyspark.sql import SparkSession

from data_platform.assets.raw.clickstream.job import (
    EVENTS,
    QUARANTINE,
    TASK_BYTES,
    DayTargets,
    _binary_files,
    _step_settings,
    process_clickstream,
)
from data_platform.assets.raw.clickstream.validate import FIELDS
from data_platform.resources.spark import spark_resource

DAY = date(2026, 1, 10)


class Result:
    """What the executors wrote for the day, read back, and the counts the driver got."""

    def __init__(self, folder: Path, counts: dict[str, int | bool]) -> None:
        self.events = pq.read_table(folder / "events")
        self.quarantine = pq.read_table(folder / "quarantine")
        self.counts = counts


def uris(files: list[str]) -> list[str]:
    return [f"file://{f}" for f in files]


def run_day(
    spark: SparkSession, day_files: list[str], next_files: list[str], out: Path, day: date = DAY
) -> Result:
    """Process the landing files (given as `file://` URIs, as the asset does) into `out`."""
    targets = DayTargets(events=f"file://{out}/events", quarantine=f"file://{out}/quarantine")
    result = process_clickstream(spark, day, uris(day_files), uris(next_files), targets)
    return Result(out, result.counts)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    resource = spark_resource("local[2]")
    resource.setup_for_execution(build_init_resource_context())
    yield resource.spark_session
    resource.spark_session.stop()


def event(event_id: str, ts: str, **fields: object) -> dict[str, object]:
    base = {
        "event_id": event_id,
        "ts": ts,
        "user_id": 7,
        "session_id": f"s-{event_id}",
        "event_type": "page_view",
        "page": "/home",
        "channel": "organic",
        "experiments": {"exp_b": "treatment", "exp_a": "control"},
        "user_agent": "Mozilla/5.0",
    }
    return {**base, **fields}


def line(payload: object) -> bytes:
    return json.dumps(payload).encode()


def without(field: str, payload: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in payload.items() if key != field}


def write_gz(path: Path, lines: list[bytes]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"".join(item + b"\n" for item in lines)))
    return str(path)


def write_cut_gz(path: Path, whole: list[bytes], partial: bytes) -> str:
    """A gzip stream cut inside `partial`: `whole` lines and the start of `partial` decode."""
    encoder = zlib.compressobj(wbits=31)
    head = encoder.compress(b"".join(item + b"\n" for item in whole) + partial[:20])
    head += encoder.flush(zlib.Z_SYNC_FLUSH)
    tail = encoder.compress(partial[20:] + b"\n") + encoder.flush()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + tail[: len(tail) // 2])
    return str(path)


MALFORMED_A = [
    (b'{"event_id": "x1", "ts": ', "invalid json"),
    (line(without("user_id", event("x2", "2026-01-10T01:00:00Z"))), "missing field user_id"),
    (line(event("x3", "2026-01-10T01:00:00Z", user_id="42")), "user_id not an integer"),
    (line(event("x4", "2026-01-10T01:00:00Z", user_id=True)), "user_id not an integer"),
    (line(event("x5", "2026-01-10T01:00:00Z", user_id=4.5)), "user_id not an integer"),
    (line(event("x6", "yesterday")), "bad ts"),
    (line(event("x7", "2026-01-10T01:00:00Z", event_type="click")), "unknown event_type"),
    (line(event("x8", "2026-01-10T01:00:00Z", experiments=[])), "experiments not an object"),
    (line(event("", "2026-01-10T01:00:00Z")), "empty event_id"),
    (line(event("x9", "2026-01-10T01:00:00Z", page=5)), "page not a string"),
    (b"[1, 2]", "not a json object"),
    (b"", "empty line"),
    (line(event("x10", "2026-01-11T01:00:00Z")), "ts outside window"),
]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """Folders D and D+1 with every kind of line and file the shipper produces."""
    root = tmp_path_factory.mktemp("landing")
    day, nxt = root / "date=2026-01-10", root / "date=2026-01-11"
    e1 = event("e1", "2026-01-10T08:00:00Z")
    a_lines = [
        line(e1),
        line(event("e2", "2026-01-10T09:00:00.250+00:00", page="/from-a")),
        line(event("e3", "2026-01-11T05:00:00+09:00", page="/from-a")),  # 20:00 UTC on D
        line(e1),  # the shipper's at-least-once repeat, same file
        line(event("p1", "2026-01-09T23:59:00Z")),  # late for D-1: valid, not day D's
        *(raw for raw, _ in MALFORMED_A),
        line(event("e4", "2026-01-10T08:00:00Z", user_id=9_007_199_254_740_993)),
    ]
    b_lines = [
        line(event("e2", "2026-01-10T09:00:00.250Z", page="/from-b")),
        b'{"event_id": "x11", "page": "\xff\xfe"}',
        line(event("x12", "2026-01-10T01:00:00Z", page="p" * 10_000_000)),
        line(event("e5", "2026-01-10T23:59:59.999999Z")),
    ]
    day_files = [
        write_gz(day / "a.jsonl.gz", a_lines),
        write_gz(day / "b.jsonl.gz", b_lines),
        write_cut_gz(
            day / "c.jsonl.gz",
            [line(event("e6", "2026-01-10T12:00:00Z")), line(event("e7", "2026-01-10T12:00:00Z"))],
            line(event("x13", "2026-01-10T12:00:00Z")),
        ),
        write_gz(day / "d.jsonl.gz", []),  # a valid gzip of nothing
        str(day / "e.jsonl.gz"),
        str(day / "f.jsonl.gz"),
    ]
    (day / "e.jsonl.gz").write_bytes(b"")
    (day / "f.jsonl.gz").write_bytes(line(event("x14", "2026-01-10T01:00:00Z")))
    next_files = [
        write_gz(
            nxt / "a.jsonl.gz",
            [
                line(event("l1", "2026-01-10T23:59:58Z")),
                line(event("e3", "2026-01-10T20:00:00Z", page="/from-next")),
                line(event("n1", "2026-01-11T00:00:01Z")),
                b"{broken",
                line(event("l2", "2026-01-10T00:00:00Z")),
            ],
        ),
        write_cut_gz(nxt / "b.jsonl.gz", [line(event("l3", "2026-01-10T06:00:00Z"))], b"{...}"),
    ]
    return day_files, next_files


@pytest.fixture(scope="module")
def result(spark: SparkSession, landing: tuple[list[str], list[str]], tmp_path_factory) -> Result:
    day_files, next_files = landing
    return run_day(spark, day_files, next_files, tmp_path_factory.mktemp("out"))


def test_events_are_day_d_valid_deduplicated_and_sorted(result) -> None:
    events = result.events
    assert events.column("event_id").to_pylist() == [
        "l2", "l3", "e1", "e4", "e2", "e6", "e7", "e3", "l1", "e5"
    ]  # fmt: skip
    assert events.schema == EVENTS
    assert events.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert events.schema.field("event_date").type == pa.date32()
    assert events.schema.field("user_id").type == pa.int64()
    assert set(events.column("event_date").to_pylist()) == {DAY}


def test_event_values_are_typed_and_normalised(result) -> None:
    rows = {row["event_id"]: row for row in result.events.to_pylist()}
    assert rows["e3"]["ts"] == datetime(2026, 1, 10, 20, tzinfo=UTC)
    assert rows["e5"]["ts"] == datetime(2026, 1, 10, 23, 59, 59, 999999, tzinfo=UTC)
    assert rows["e4"]["user_id"] == 9_007_199_254_740_993  # beyond a double's exact range
    assert rows["e1"]["experiments"] == '{"exp_a":"control","exp_b":"treatment"}'
    assert rows["e1"]["session_id"] == "s-e1"
    # The first copy by (ts, file, line) wins: folder D before D+1, file a before file b.
    assert rows["e2"]["page"] == "/from-a"
    assert rows["e3"]["page"] == "/from-a"


def test_quarantine_has_every_malformed_line_of_folder_d(result) -> None:
    quarantine = result.quarantine
    assert quarantine.schema == QUARANTINE
    found = [
        (Path(row["source_file"]).name, row["line_number"], row["reason"])
        for row in quarantine.to_pylist()
    ]
    expected_a = [("a.jsonl.gz", 6 + i, reason) for i, (_, reason) in enumerate(MALFORMED_A)]
    assert found == [
        *expected_a,
        ("b.jsonl.gz", 2, "not utf-8"),
        ("b.jsonl.gz", 3, "line too long"),
        ("c.jsonl.gz", 0, "truncated gzip"),
        ("c.jsonl.gz", 3, "invalid json"),
        ("e.jsonl.gz", 0, "empty file"),
        ("f.jsonl.gz", 0, "not gzip"),
    ]
    assert Path(quarantine.column("source_file")[0].as_py()).parent.name == "date=2026-01-10"


def test_quarantine_keeps_a_readable_prefix_of_the_raw_line(result) -> None:
    rows = {
        (Path(r["source_file"]).name, r["line_number"]): r for r in result.quarantine.to_pylist()
    }
    assert rows[("a.jsonl.gz", 6)]["raw_line"] == '{"event_id": "x1", "ts": '
    assert len(rows[("b.jsonl.gz", 3)]["raw_line"]) == 1000
    assert "\ufffd" in rows[("b.jsonl.gz", 2)]["raw_line"]
    assert rows[("c.jsonl.gz", 3)]["raw_line"].startswith('{"event_id": "x13"')
    assert "bytes decoded before the cut" in rows[("c.jsonl.gz", 0)]["raw_line"]


def test_counts(result) -> None:
    counts = result.counts
    assert counts == {
        "lines_read": 19 + 4 + 3,
        "valid": 6 + 2 + 2,  # e1 twice, e2, e3, e4, p1 | e2, e5 | e6, e7
        "malformed": 13 + 2 + 2 + 2,
        "unreadable_files": 3,
        "duplicates": 3,  # e1 in file a, e2 in file b, e3 in folder D+1
        "late": 3,  # l1, l2, and l3 from the readable part of a cut file
        "events_written": 10,
        "complete": True,
    }
    assert (
        counts["lines_read"] + counts["unreadable_files"] == counts["valid"] + counts["malformed"]
    )


def test_without_next_folder_the_day_is_incomplete(spark, landing, tmp_path) -> None:
    day_files, _ = landing
    partial = run_day(spark, day_files[:1], [], tmp_path)
    assert partial.events.column("event_id").to_pylist() == ["e1", "e4", "e2", "e3"]
    assert partial.counts["complete"] is False
    assert (partial.counts["late"], partial.counts["duplicates"]) == (0, 1)
    assert partial.quarantine.num_rows == len(MALFORMED_A)


def test_each_run_checks_dates_against_its_own_day(spark, landing, result, tmp_path) -> None:
    """Runs of different days in one session: folder D+1 read as its own day keeps its events
    dated D+1 (the session's checks are built once, with the day as a column)."""
    _, next_files = landing
    following = run_day(spark, next_files, [], tmp_path, day=date(2026, 1, 11))
    assert following.events.column("event_id").to_pylist() == ["n1"]
    reasons = [(Path(r["source_file"]).name, r["line_number"], r["reason"]) for r in following.quarantine.to_pylist()]
    assert reasons == [("a.jsonl.gz", 4, "invalid json"), ("b.jsonl.gz", 0, "truncated gzip"), ("b.jsonl.gz", 2, "invalid json")]


def test_files_are_listed_by_folder_only_when_the_folders_hold_just_them(spark, landing) -> None:
    """The folders' listing (one request per folder) is used when it names exactly the given
    files; otherwise, as for a file that landed after the run listed the folder, the given
    files are named one by one and nothing else is read."""

    def scan(files: list[str]) -> tuple[list[str], str]:
        frame = _binary_files(spark, uris(files))
        return sorted(Path(f).name for f in frame.inputFiles()), frame._jdf.queryExecution().executedPlan().toString()

    day_files, next_files = landing
    names, plan = scan(day_files + next_files)
    assert names == sorted(Path(f).name for f in day_files + next_files)
    assert "InMemoryFileIndex(2 paths)" in plan  # the two folders
    names, plan = scan(day_files[:3])
    assert names == ["a.jsonl.gz", "b.jsonl.gz", "c.jsonl.gz"]
    assert "InMemoryFileIndex(3 paths)" in plan  # the files, by name


def test_a_day_with_no_valid_line_quarantines_them_all(spark, tmp_path) -> None:
    """Every line malformed or outside the window: no events, every line in the quarantine."""
    folder = tmp_path / "landing" / "date=2026-01-10"
    bad = write_gz(folder / "a.jsonl.gz", [b"{broken", line(event("q1", "2026-01-20T00:00:00Z")), b""])
    result = run_day(spark, [bad], [], tmp_path / "out")
    assert (result.events.num_rows, result.events.schema) == (0, EVENTS)
    assert [(r["line_number"], r["reason"]) for r in result.quarantine.to_pylist()] == [
        (1, "invalid json"), (2, "ts outside window"), (3, "empty line")
    ]  # fmt: skip
    assert (result.counts["lines_read"], result.counts["valid"], result.counts["malformed"]) == (3, 0, 3)
    assert result.counts["events_written"] == 0


def test_a_day_with_no_malformed_line_has_an_empty_quarantine(spark, tmp_path) -> None:
    """Every line valid: the quarantine is written empty and the day's counts are read."""
    folder = tmp_path / "landing" / "date=2026-01-10"
    good = write_gz(folder / "a.jsonl.gz", [line(event(f"g{i}", "2026-01-10T05:00:00Z")) for i in range(3)])
    result = run_day(spark, [good], [], tmp_path / "out")
    assert (result.quarantine.num_rows, result.quarantine.schema) == (0, QUARANTINE)
    assert result.events.column("event_id").to_pylist() == ["g0", "g1", "g2"]
    assert (result.counts["lines_read"], result.counts["valid"], result.counts["malformed"]) == (3, 3, 0)


def compact(payload: object) -> bytes:
    """The shipper's form: no blank after `,` or `:`."""
    return json.dumps(payload, separators=(",", ":")).encode()


def test_compact_lines_are_checked_field_by_field_as_well(spark, tmp_path) -> None:
    """Compact lines whose only bare values are user_id's and experiments' skip the text checks
    on each field; any other bare value, or a blank before a colon, sends a line through them."""
    ts = "2026-01-10T01:00:00Z"
    lines = [
        (compact(event("c1", ts)), None),
        (compact(event("c2", ts, page=5)), "page not a string"),
        (compact(event("c3", ts, channel=True)), "channel not a string"),
        (compact(event("c4", ts, user_agent={"a": "b"})), "user_agent not a string"),
        (compact(event("c5", ts, user_id="42")), "user_id not an integer"),
        (compact(event("c6", ts, experiments={"a": 1})), None),
        (compact(event("c7", ts, page='a":1')), None),
        (compact(event("c8", ts, session_id=None)), "session_id not a string"),
        (compact(event("c9", ts)).replace(b'"page":"/home"', b'"page" :5'), "page not a string"),
        (compact(event("c10", ts)).replace(b'"ts":"2026-01-10T01:00:00Z"', b'"ts":2026'), "ts not a string"),
    ]
    folder = tmp_path / "landing" / "date=2026-01-10"
    result = run_day(spark, [write_gz(folder / "a.jsonl.gz", [raw for raw, _ in lines])], [], tmp_path / "out")
    reasons = {r["line_number"]: r["reason"] for r in result.quarantine.to_pylist()}
    assert [reasons.get(number) for number in range(1, len(lines) + 1)] == [reason for _, reason in lines]
    rows = {row["event_id"]: row for row in result.events.to_pylist()}
    assert sorted(rows) == ["c1", "c6", "c7"]
    assert (rows["c6"]["experiments"], rows["c7"]["page"]) == ('{"a":1}', 'a":1')


def test_a_repeated_key_keeps_its_last_value_on_either_path(spark, tmp_path) -> None:
    """A key given twice counts with its last value, as PostgreSQL's jsonb and most JSON
    readers take it, whether the schema parse settles the line or its VARIANT parse does
    (a last value that reads like a number sends a line there)."""
    ts = "2026-01-10T01:00:00Z"

    def twice(event_id: str, first: bytes, last: bytes, **fields: object) -> bytes:
        plain = line(event(event_id, ts, **fields))
        return plain.replace(last, first + b", " + last, 1)

    lines = [
        (twice("r1", b'"page": "/old"', b'"page": "/home"'), None),
        (twice("r2", b'"page": "/old"', b'"page": "5"', page="5"), None),
        (twice("r3", b'"user_id": "7"', b'"user_id": 7'), None),
        (twice("r4", b'"user_id": 7', b'"user_id": "7"', user_id="7"), "user_id not an integer"),
        (line(event("r5", ts)).replace(b'"exp_b": "treatment"', b'"exp_b": "control", "exp_b": "treatment"'), None),
    ]
    folder = tmp_path / "landing" / "date=2026-01-10"
    result = run_day(spark, [write_gz(folder / "a.jsonl.gz", [raw for raw, _ in lines])], [], tmp_path / "out")
    reasons = {r["line_number"]: r["reason"] for r in result.quarantine.to_pylist()}
    assert [reasons.get(number) for number in range(1, len(lines) + 1)] == [reason for _, reason in lines]
    rows = {row["event_id"]: row for row in result.events.to_pylist()}
    assert (rows["r1"]["page"], rows["r2"]["page"], rows["r3"]["user_id"]) == ("/home", "5", 7)
    assert json.loads(rows["r5"]["experiments"]) == {"exp_a": "control", "exp_b": "treatment"}


def test_a_missing_field_is_named_whichever_it_is(spark, tmp_path) -> None:
    """Each of the nine fields left out, in the compact form and spaced: the reason names it.
    (A line without `experiments` was once called invalid JSON: its fast-path check read the
    absent field as unknown, not as false, so the line was never parsed field by field.)"""
    missing = [without(name, event(f"m-{name}", "2026-01-10T01:00:00Z")) for name in FIELDS]
    folder = tmp_path / "landing" / "date=2026-01-10"
    raw = [form(payload) for payload in missing for form in (compact, line)]
    result = run_day(spark, [write_gz(folder / "a.jsonl.gz", raw)], [], tmp_path / "out")
    reasons = [r["reason"] for r in result.quarantine.to_pylist()]
    assert reasons == [f"missing field {name}" for name in FIELDS for _ in (compact, line)]


def test_no_files_gives_empty_tables_of_the_right_schema(spark, tmp_path) -> None:
    empty = run_day(spark, [], [], tmp_path)
    assert (empty.events.num_rows, empty.events.schema) == (0, EVENTS)
    assert (empty.quarantine.num_rows, empty.quarantine.schema) == (0, QUARANTINE)
    assert empty.counts["lines_read"] == 0 and empty.counts["complete"] is False


def test_a_run_leaves_the_session_as_it_found_it(spark, landing, tmp_path) -> None:
    """The cached lines and ranking are released and the step's settings restored,
    so a long-lived session does not fill its executors' memory partition after partition."""
    keys = (
        "spark.sql.files.minPartitionNum",
        "spark.sql.inMemoryColumnarStorage.compressed",
        "spark.sql.adaptive.optimizer.excludedRules",
        "spark.sql.variant.allowDuplicateKeys",
    )

    def state() -> tuple[int, list[str | None]]:
        return spark.sparkContext._jsc.sc().getPersistentRDDs().size(), [spark.conf.get(k, None) for k in keys]

    before = state()
    run_day(spark, *landing, tmp_path)
    assert state() == before


def test_session_settings(spark) -> None:
    conf = spark.conf
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    assert conf.get("spark.sql.shuffle.partitions") == "8"
    assert conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"
    assert spark.sparkContext.getConf().get("spark.ui.enabled") == "false"
    assert spark.sparkContext.getConf().get("spark.driver.bindAddress") == "127.0.0.1"


def test_a_small_day_is_read_in_a_task_per_core_a_large_one_in_four(spark) -> None:
    """Starting tasks costs more than a small day's lines; a large day needs the smaller tasks."""
    cores = spark.sparkContext.defaultParallelism

    def tasks(input_bytes: int) -> int:
        return int(_step_settings(spark, input_bytes)["spark.sql.files.minPartitionNum"])

    assert tasks(0) == tasks(cores * TASK_BYTES) == cores
    assert tasks((cores + 1) * TASK_BYTES) == cores + 1
    assert tasks(100 << 20) == 4 * cores


def test_a_session_in_local_time_is_refused(spark, tmp_path) -> None:
    spark.conf.set("spark.sql.session.timeZone", "Asia/Seoul")
    try:
        with pytest.raises(ValueError, match="event dates are UTC days"):
            run_day(spark, [], [], tmp_path)
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
