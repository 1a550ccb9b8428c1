"""The analyst path: model files become assets with parsed dependencies; broken files are contained."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, Definitions, materialize

from data_platform.assets.summary import summary_definitions
from data_platform.assets.summary.model_assets import models_folder
from data_platform.assets.summary.model_file import ModelError, load_model, load_models
from data_platform.assets.summary.sql_text import SqlError, parse_select, to_psycopg
from data_platform.resources.warehouse.resource import WarehouseResource

NEW_MODEL = """\
-- description: Events per day and page type.
-- partition_column: event_date
-- grain: [event_date, event_type]
-- checks:
--   non_negative: [events]
WITH day_events AS (SELECT event_date, event_type FROM raw.events WHERE ts >= :start AND ts < :end)
SELECT event_date, event_type, CAST(COUNT(*) AS BIGINT) AS events
FROM day_events
GROUP BY event_date, event_type
"""
BROKEN_MODEL = """\
-- description: Has a syntax error on line 4.
-- grain: [order_date]
SELECT CAST(created_at AS DATE) AS order_date
FROM raw.orders WHERE (deleted_at IS NULL
"""


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    shutil.copytree(models_folder(), folder)
    return folder


def failure_text(result) -> str:
    """The step failure's message with its causes (the user error is the cause of the step error)."""
    error, parts = result.get_step_failure_events()[0].step_failure_data.error, []
    while error is not None:
        parts.append(error.message)
        error = error.cause
    return "\n".join(parts)


def test_shipped_models_load_with_dependencies_from_their_sql():
    models, errors = load_models(models_folder())
    assert errors == []
    tables = {m.name: set(m.parsed.tables) for m in models}
    assert tables == {
        "channel_summary": {("raw", "events"), ("raw", "orders"), ("raw", "exchange_rates")},
        "daily_revenue": {("raw", "orders"), ("raw", "exchange_rates")},
        "ab_test_results": {("analytics", "experiment_exposures"), ("raw", "orders")},
    }


def test_parser_skips_ctes_and_requires_schemas():
    parsed = parse_select("WITH x AS (SELECT a FROM raw.t) SELECT x.a AS a FROM x JOIN analytics.y ON TRUE")
    assert parsed.tables == (("analytics", "y"), ("raw", "t"))
    with pytest.raises(SqlError, match="qualify table `t`"):
        parse_select("SELECT a FROM t")
    with pytest.raises(SqlError, match="SELECT \\*"):
        parse_select("SELECT * FROM raw.t")


def test_placeholders_become_parameters_and_percent_signs_survive():
    text = "SELECT 'a%:start' AS s, x::date AS d FROM raw.t WHERE ts >= :start AND ts < :end -- 5% :end"
    assert to_psycopg(text) == (
        "SELECT 'a%%:start' AS s, x::date AS d FROM raw.t WHERE ts >= %(start)s AND ts < %(end)s -- 5%% :end"
    )


def test_broken_file_names_file_and_line_and_others_still_load(models_dir: Path, partitions):
    (models_dir / "broken_report.sql").write_text(BROKEN_MODEL)
    with pytest.raises(ModelError) as raised:
        load_model(models_dir / "broken_report.sql")
    assert str(raised.value).startswith("broken_report.sql:4: syntax error")

    assets = summary_definitions(partitions, models_dir).assets
    resources = {"warehouse": WarehouseResource(url="postgresql://analyst@localhost/warehouse")}
    Definitions.validate_loadable(Definitions(assets=assets, resources=resources))
    by_key = {a.key: a for a in assets}
    assert {("analytics", "channel_summary"), ("analytics", "daily_revenue"), ("analytics", "ab_test_results")} <= {
        tuple(k.path) for k in by_key
    }
    broken = by_key[AssetKey(["analytics", "broken_report"])]
    assert "broken_report.sql:4" in broken.specs_by_key[broken.key].description
    result = materialize([broken], raise_on_error=False)
    assert not result.success
    assert "broken_report.sql:4: syntax error" in failure_text(result)


def test_header_problems_are_reported(models_dir: Path):
    (models_dir / "no_grain.sql").write_text("-- description: x\nSELECT 1 AS a FROM raw.t\n")
    (models_dir / "wrong_param.sql").write_text(
        "-- description: x\n-- grain: [a]\nSELECT 1 AS a FROM raw.t WHERE ts > :since\n"
    )
    _, errors = load_models(models_dir)
    messages = sorted(str(e) for e in errors)
    assert messages[0].startswith("no_grain.sql:1: the header needs")
    assert messages[1].startswith("wrong_param.sql:1: unknown parameters ['since']: this model takes none")


def test_new_model_file_becomes_an_asset_that_backfills_a_range(models_dir: Path, partitions, warehouse_url, fetch):
    (models_dir / "events_by_type.sql").write_text(NEW_MODEL)
    assets = {a.key: a for a in summary_definitions(partitions, models_dir).assets}
    new = assets[AssetKey(["analytics", "events_by_type"])]
    assert {tuple(k.path) for k in new.dependency_keys} == {("raw", "events")}
    assert new.partitions_def == partitions
    assert [c.name for c in new.check_specs] == ["grain_unique", "events_non_negative"]

    tags = {"dagster/asset_partition_range_start": "2026-01-10", "dagster/asset_partition_range_end": "2026-01-12"}
    result = materialize([new], resources={"warehouse": WarehouseResource(url=warehouse_url)}, tags=tags)
    assert result.success
    rows = fetch("SELECT event_date::text, event_type, events FROM analytics.events_by_type ORDER BY 1")
    # conftest: 10 events on day 10 (e9 included), 4 on day 11, 1 on day 12, all page views
    assert rows == [("2026-01-10", "page_view", 9), ("2026-01-11", "page_view", 4), ("2026-01-12", "page_view", 1)]


def test_rows_outside_the_window_are_refused(models_dir: Path, partitions, warehouse_url, fetch):
    leaky = NEW_MODEL.replace("events_by_type", "x").replace("WHERE ts >= :start AND ts < :end",
                                                             "WHERE ts >= :start AND ts < :end OR ts < :start")  # fmt: skip
    (models_dir / "leaky.sql").write_text(leaky)
    model = next(a for a in summary_definitions(partitions, models_dir).assets if a.key.path[-1] == "leaky")
    result = materialize(
        [model], resources={"warehouse": WarehouseResource(url=warehouse_url)}, partition_key="2026-01-11",
        raise_on_error=False,
    )  # fmt: skip
    assert not result.success
    assert "leaky.sql: 1 rows fall outside [2026-01-11, 2026-01-12)" in failure_text(result)
    # creation, delete and insert share one transaction: nothing of the failed write remains
    assert fetch("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'leaky'") == [(0,)]


def test_reads_ahead_maps_day_d_to_the_later_upstream_days():
    from dagster import DailyPartitionsDefinition

    partitions = DailyPartitionsDefinition(start_date="2026-01-01")
    resources = {"warehouse": WarehouseResource(url="postgresql://localhost/unused")}
    graph = Definitions.merge(summary_definitions(partitions), Definitions(resources=resources)).resolve_asset_graph()
    summary = AssetKey(["analytics", "channel_summary"])
    orders = graph.get_partition_mapping(summary, AssetKey(["raw", "orders"]))
    upstream = orders.get_upstream_mapped_partitions_result_for_partitions(
        partitions.subset_with_partition_keys(["2026-01-05"]), partitions, partitions
    ).partitions_subset
    assert sorted(upstream.get_partition_keys()) == ["2026-01-05", "2026-01-06"]
    assert graph.get_partition_mapping(summary, AssetKey(["raw", "events"])) != orders


@pytest.mark.parametrize(
    ("reads_ahead", "problem"),
    [("{raw.users: 1}", "does not read"), ("{raw.events: 0}", "from 1 to 7"), ("{raw.events: two}", "from 1 to 7")],
)
def test_reads_ahead_is_validated(tmp_path: Path, reads_ahead: str, problem: str):
    path = tmp_path / "ahead.sql"
    path.write_text(NEW_MODEL.replace("-- grain:", f"-- reads_ahead: {reads_ahead}\n-- grain:"))
    with pytest.raises(ModelError, match=problem):
        load_model(path)
