"""The analyst path: dbt models become assets with lineage from the raw layer; a new model file
needs no Python; broken models stay local to themselves, even when the project does not parse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, AssetSelection, DailyPartitionsDefinition, Definitions, materialize

from data_platform.assets.summary import build_summary_assets
from data_platform.assets.summary.project import PROJECT_DIR
from data_platform.resources.warehouse.resource import WarehouseResource

# Resources are only described here: loading definitions opens no connection.
UNUSED = {"transform_warehouse": WarehouseResource(url="postgresql://analyst@localhost/unused")}
RANGE = {"dagster/asset_partition_range_start": "2026-01-10", "dagster/asset_partition_range_end": "2026-01-12"}
NEW_MODEL = """\
{{ config(materialized="incremental", incremental_strategy="delete_insert_window",
          meta={"partition_column": "event_date"}) }}
SELECT event_date, event_type, CAST(COUNT(*) AS BIGINT) AS events
FROM {{ source("raw", "events") }}
WHERE {{ in_window("ts") }}
GROUP BY event_date, event_type
"""
NEW_SCHEMA = """\
version: 2
models:
  - name: events_by_type
    description: Events per day and page type.
    columns:
      - name: events
        data_tests: [{non_negative: {name: events_by_type_events_non_negative}}]
"""
BROKEN_SQL = "SELECT CAST(created_at AS DATE) AS order_date\nFROM {{ source('raw', 'orders') }} WHERE (deleted_at IS NULL\n"
LEAKY = NEW_MODEL.replace('WHERE {{ in_window("ts") }}', 'WHERE {{ in_window("ts") }} OR ts < {{ window_start() }}')


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the shipped dbt project (without its parse cache) to add model files to."""
    folder = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_DIR, folder, ignore=shutil.ignore_patterns("target", "logs"))
    return folder


def by_key(assets) -> dict[AssetKey, object]:
    return {key: a for a in assets for key in a.keys}


def failure_text(result) -> str:
    """Every step failure's message with its causes."""
    parts = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            parts.append(error.message)
            error = error.cause
    return "\n".join(parts)


def materialized(result) -> set[str]:
    return {e.event_specific_data.materialization.asset_key.path[-1] for e in result.get_asset_materialization_events()}


def test_shipped_models_have_lineage_from_raw_and_blocking_checks(partitions):
    assets = build_summary_assets(partitions)
    graph = Definitions(assets=assets, resources=UNUSED).resolve_asset_graph()
    deps = {key.path[-1]: {tuple(d.path) for d in graph.get(key).parent_keys} for key in graph.materializable_asset_keys}
    assert deps == {
        "orders_usd": {("raw", "orders"), ("raw", "exchange_rates")},
        "daily_revenue": {("analytics", "orders_usd")},
        "channel_summary": {("raw", "events"), ("analytics", "orders_usd")},
        "experiment_exposures": {("raw", "events")},
        "ab_test_results": {("analytics", "experiment_exposures"), ("analytics", "orders_usd")},
    }
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        assert node.group_name == "summary" and node.owners == ["team:analytics"]
        assert {"dbt", "postgres", "redshift"} <= set(node.kinds)
        assert node.is_partitioned == (key.path[-1] != "ab_test_results")
    checks = [spec for a in assets for spec in a.check_specs]
    assert {"gross_matches_raw_orders", "sessions_match_raw_events", "funnel_order", "sample_ratio_matches_plan",
            "orders_usd_every_order_has_a_rate"} <= {c.name for c in checks}
    assert all(c.blocking for c in checks)


def test_reads_ahead_maps_day_d_to_the_later_upstream_days():
    partitions = DailyPartitionsDefinition(start_date="2026-01-01")
    graph = Definitions(assets=build_summary_assets(partitions), resources=UNUSED).resolve_asset_graph()
    summary, orders = AssetKey(["analytics", "channel_summary"]), AssetKey(["analytics", "orders_usd"])
    mapping = graph.get_partition_mapping(summary, orders)
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        partitions.subset_with_partition_keys(["2026-01-05"]), partitions, partitions
    ).partitions_subset
    assert sorted(upstream.get_partition_keys()) == ["2026-01-05", "2026-01-06"]
    assert graph.get_partition_mapping(summary, AssetKey(["raw", "events"])) != mapping


def test_reads_behind_maps_day_d_to_the_days_before_it():
    partitions = DailyPartitionsDefinition(start_date="2026-01-01")
    graph = Definitions(assets=build_summary_assets(partitions), resources=UNUSED).resolve_asset_graph()
    summary, events = AssetKey(["analytics", "channel_summary"]), AssetKey(["raw", "events"])
    upstream = graph.get_partition_mapping(summary, events).get_upstream_mapped_partitions_result_for_partitions(
        partitions.subset_with_partition_keys(["2026-01-05"]), partitions, partitions
    ).partitions_subset
    assert sorted(upstream.get_partition_keys()) == ["2026-01-04", "2026-01-05"]  # the session bound: one day


def test_new_model_runs_beside_a_broken_one_that_fails_alone(project: Path, partitions, warehouse_url, fetch):
    (project / "models" / "events_by_type.sql").write_text(NEW_MODEL)
    (project / "models" / "events_by_type.yml").write_text(NEW_SCHEMA)
    (project / "models" / "broken_report.sql").write_text(BROKEN_SQL)
    assets = build_summary_assets(partitions, project)
    new = by_key(assets)[AssetKey(["analytics", "events_by_type"])]
    assert {tuple(k.path) for k in new.asset_deps[AssetKey(["analytics", "events_by_type"])]} == {("raw", "events")}
    assert [c.name for c in new.check_specs if c.asset_key.path[-1] == "events_by_type"] == ["events_by_type_events_non_negative"]

    keys = [AssetKey(["analytics", n]) for n in ("events_by_type", "broken_report", "orders_usd", "daily_revenue")]
    result = materialize(assets, selection=AssetSelection.assets(*keys), tags=RANGE, raise_on_error=False,
                         resources={"transform_warehouse": WarehouseResource(url=warehouse_url)})  # fmt: skip
    assert not result.success
    # dbt's own message, naming the model's file; every other model was built.
    assert "broken_report" in failure_text(result) and "syntax error" in failure_text(result)
    assert materialized(result) == {"events_by_type", "orders_usd", "daily_revenue"}
    rows = fetch("SELECT event_date::text, event_type, events FROM analytics.events_by_type ORDER BY 1")
    # conftest: 10 events on day 10 (e9 included), 4 on day 11, 1 on day 12, all page views
    assert rows == [("2026-01-10", "page_view", 9), ("2026-01-11", "page_view", 4), ("2026-01-12", "page_view", 1)]


def test_rows_outside_the_window_are_refused(project: Path, partitions, warehouse_url, fetch):
    (project / "models" / "leaky.sql").write_text(LEAKY)
    assets = build_summary_assets(partitions, project)
    result = materialize(assets, selection=AssetSelection.assets(AssetKey(["analytics", "leaky"])),
                         partition_key="2026-01-11", raise_on_error=False,
                         resources={"transform_warehouse": WarehouseResource(url=warehouse_url)})  # fmt: skip
    assert not result.success
    assert "rows of models/leaky.sql fall outside [2026-01-11, 2026-01-12)" in failure_text(result)
    # the check runs inside the model's transaction: nothing of the failed write remains
    assert fetch("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'leaky'") == [(0,)]


@pytest.mark.parametrize("name", ["weekly revenue", "a;b"])
def test_a_model_file_name_that_cannot_be_an_asset_fails_alone(project: Path, partitions, name: str):
    (project / "models" / f"{name}.sql").write_text("SELECT 1 AS one\n")
    assets = build_summary_assets(partitions, project)
    keys = by_key(assets)
    Definitions.validate_loadable(Definitions(assets=assets, resources=UNUSED))
    assert AssetKey(["analytics", "channel_summary"]) in keys
    placeholder = keys[AssetKey(["analytics", name.replace(" ", "_").replace(";", "_")])]
    assert f"models/{name}.sql" in placeholder.specs_by_key[placeholder.key].description
    result = materialize([placeholder], raise_on_error=False)
    assert not result.success and "not an identifier" in failure_text(result)


def test_a_project_that_does_not_parse_still_loads(project: Path, partitions):
    # A Jinja error in one model breaks `dbt parse` for the whole project.
    (project / "models" / "bad_jinja.sql").write_text("SELECT {{ ref('orders_usd' }} AS x\n")
    assets = build_summary_assets(partitions, project)
    Definitions.validate_loadable(Definitions(assets=assets, resources=UNUSED))
    keys = by_key(assets)
    assert {"channel_summary", "daily_revenue", "bad_jinja"} <= {k.path[-1] for k in keys}
    summary = keys[AssetKey(["analytics", "channel_summary"])]
    assert "bad_jinja.sql" in summary.specs_by_key[summary.key].description
    result = materialize([summary], raise_on_error=False)
    assert not result.success and "bad_jinja.sql" in failure_text(result)
