"""SQL over the lake through DuckDB, on a local folder and on the S3-compatible server."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pytest

from data_platform.cli import main
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.lake_sql import LakeSqlRefusedError, LakeSqlResource, discover

DAYS = ["2026-01-01", "2026-01-02"]


@pytest.fixture
def filled(lake: LakeResource) -> LakeResource:
    """Two days of a partitioned table, an unpartitioned one, quarantine and archive, and
    landing files that must not become a table."""
    for i, day in enumerate(DAYS):
        ids = list(range(10 * i, 10 * i + 3 + i))
        lake.write_parquet(f"raw/events/date={day}/part-00000.parquet", pa.table({"event_id": ids}))
        lake.write_parquet(
            f"quarantine/clickstream/date={day}/part-00000.parquet",
            pa.table({"reason": ["bad json"] * (i + 1), "line": ["{"] * (i + 1)}),
        )
    lake.write_parquet("raw/nps_responses/part-00000.parquet", pa.table({"score": [9, 10]}))
    lake.write_parquet("archive/raw/events/date=2025-10-01/part-00000.parquet", pa.table({"event_id": [1]}))
    lake.write_bytes("landing/clickstream/date=2026-01-01/a.jsonl.gz", b"not a table")
    return lake


def rows(resource: LakeSqlResource, sql: str) -> list[dict]:
    return resource.query(sql).to_pylist()


def test_every_lake_table_but_landing_is_a_view(filled: LakeResource) -> None:
    names = [table.name for table in discover(filled)]
    assert names == ["archive_raw_events", "events", "nps_responses", "quarantine_clickstream"]
    resource = LakeSqlResource(lake=filled)
    listed = rows(resource, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'lake' ORDER BY 1")
    assert [r["table_name"] for r in listed] == names


def test_date_folders_become_a_date_column(filled: LakeResource) -> None:
    resource = LakeSqlResource(lake=filled)
    counted = rows(resource, "SELECT date, count(*) AS n FROM lake.events GROUP BY date ORDER BY date")
    assert counted == [{"date": date(2026, 1, 1), "n": 3}, {"date": date(2026, 1, 2), "n": 4}]
    one_day = rows(resource, "SELECT count(*) AS n FROM lake.quarantine_clickstream WHERE date = DATE '2026-01-02'")
    assert one_day == [{"n": 2}]
    assert rows(resource, "SELECT sum(score) AS s FROM lake.nps_responses") == [{"s": 19}]


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM lake.events",
        "DROP VIEW lake.events",
        "CREATE TABLE lake.x AS SELECT 1",
        "INSERT INTO lake.events VALUES (1)",
        "COPY (SELECT 1) TO 'raw/events/date=2026-01-01/x.csv'",
        "ATTACH ':memory:' AS scratch",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SELECT 1; DROP VIEW lake.events",
    ],
)
def test_writes_are_refused_before_they_run(filled: LakeResource, statement: str) -> None:
    resource = LakeSqlResource(lake=filled)
    with pytest.raises(LakeSqlRefusedError, match="refused"):
        resource.query(statement)
    assert rows(resource, "SELECT count(*) AS n FROM lake.events") == [{"n": 7}]


def test_the_connection_itself_is_read_only(
    filled: LakeResource, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Code holding the raw connection still cannot change the catalog, reach other files,
    load extensions or unlock the configuration."""
    elsewhere = tmp_path_factory.mktemp("outside-the-lake")
    outside = elsewhere / "outside.csv"
    outside.write_text("a\n1\n")
    with LakeSqlResource(lake=filled).get_connection() as conn:
        for statement in (
            "DROP VIEW lake.events",
            "CREATE TABLE lake.x AS SELECT 1",
            f"SELECT * FROM read_csv('{outside}')",  # noqa: S608
            f"COPY (SELECT 1) TO '{elsewhere / 'written.csv'}'",
            "INSTALL httpfs",
            "SET enable_external_access = true",
        ):
            with pytest.raises(duckdb.Error):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM lake.events").fetchone() == (7,)
    assert not (elsewhere / "written.csv").exists()


def test_a_bad_query_raises_duckdbs_error(filled: LakeResource) -> None:
    resource = LakeSqlResource(lake=filled)
    with pytest.raises(duckdb.CatalogException, match="lake.nope|nope"):
        resource.query("SELECT * FROM lake.nope")
    with pytest.raises(duckdb.ParserException):
        resource.query("SELEC 1")


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT * FROM lake.nope", "Catalog Error: Table with name nope does not exist!"),
        ("DELETE FROM lake.events", "refused: the lake is read-only here, and this is a DELETE statement"),
    ],
)
def test_cli_prints_one_line_and_fails(
    tmp_path, statement: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    lake = LakeResource(url=tmp_path.as_uri())
    lake.write_parquet("raw/events/date=2026-01-01/part-00000.parquet", pa.table({"event_id": [1]}))
    monkeypatch.setenv("PLATFORM_LAKE_URL", lake.url)
    assert main(["sql", statement]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith(f"data-platform sql: error: {message}")


def test_cli_prints_a_table(filled: LakeResource, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PLATFORM_LAKE_URL", filled.url)
    if filled.s3_endpoint_url:
        monkeypatch.setenv("PLATFORM_S3_ENDPOINT_URL", filled.s3_endpoint_url)
    assert main(["sql", "SELECT date, count(*) AS events FROM lake.events GROUP BY 1 ORDER BY 1"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "date       | events",
        "-----------+-------",
        "2026-01-01 |      3",
        "2026-01-02 |      4",
        "(2 rows)",
    ]
