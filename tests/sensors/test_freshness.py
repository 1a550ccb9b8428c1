"""Freshness: a daily asset without yesterday's partition after the deadline fails its Dagster
freshness check, leaves an incident report in the lake, and fails `data-platform health`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    Definitions,
    asset,
    build_sensor_context,
    instance_for_test,
    materialize,
)

from data_platform.assets.partitions import daily_partitions
from data_platform.health.data import DAILY_ASSETS, check_freshness
from data_platform.resources.lake.resource import LakeResource
from data_platform.sensors.freshness import (
    INCIDENT_SENSOR,
    build_freshness_checks,
    build_freshness_sensors,
)

TODAY = datetime.now(UTC).date()
START = TODAY - timedelta(days=5)
# A deadline that has always passed by now: midnight UTC, so yesterday is due.
MIDNIGHT = "0 0 * * *"


@asset(key=["raw", "orders"], partitions_def=daily_partitions(START), group_name="raw")
def orders() -> None:
    """A daily asset standing in for a raw table."""


def evaluate(instance, checks) -> bool:
    """Run the freshness check the way its sensor's run does; True when it passed."""
    result = materialize([orders, *checks], selection=AssetSelection.checks(*checks), instance=instance)
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation.passed


def test_missed_partition_fails_the_check_and_leaves_an_incident(tmp_path: Path) -> None:
    checks = build_freshness_checks([orders], MIDNIGHT)
    defs = Definitions(assets=[orders], asset_checks=checks, sensors=build_freshness_sensors(checks))
    lake = LakeResource(url=(tmp_path / "lake").as_uri())
    with instance_for_test() as instance:
        materialize([orders], instance=instance, partition_key=(TODAY - timedelta(days=2)).isoformat())
        assert not evaluate(instance, checks)  # yesterday's partition is missing
        with build_sensor_context(instance=instance, definitions=defs, resources={"lake": lake}) as context:
            data = defs.get_sensor_def(INCIDENT_SENSOR).evaluate_tick(context)
        reports = [json.loads(p.read_text()) for p in (tmp_path / "lake" / "incidents").glob("date=*/*.json")]
        assert [(r["kind"], r["asset"]) for r in reports] == [("freshness", "raw/orders")]
        assert (TODAY - timedelta(days=1)).isoformat() in reports[0]["description"]

        materialize([orders], instance=instance, partition_key=(TODAY - timedelta(days=1)).isoformat())
        assert evaluate(instance, checks)
        with build_sensor_context(instance=instance, definitions=defs, resources={"lake": lake}, cursor=data.cursor) as context:
            defs.get_sensor_def(INCIDENT_SENSOR).evaluate_tick(context)
        assert len(list((tmp_path / "lake" / "incidents").glob("date=*/*.json"))) == 1  # no new incident


def test_health_names_each_stale_asset(settings) -> None:
    import dataclasses

    settings = dataclasses.replace(settings, start_date=START, freshness_deadline_cron=MIDNIGHT)
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    with instance_for_test() as instance:
        for name in DAILY_ASSETS[1:]:
            instance.report_runless_asset_event(AssetMaterialization(AssetKey(name.split("/")), partition=yesterday))
        # An older day does not count: the day before the deadline is what readers rely on.
        before = (TODAY - timedelta(days=2)).isoformat()
        instance.report_runless_asset_event(AssetMaterialization(AssetKey(DAILY_ASSETS[0].split("/")), partition=before))
        with pytest.raises(RuntimeError, match=f"partition {yesterday} missing.*: {DAILY_ASSETS[0]}$"):
            check_freshness(instance, settings)
        assert check_freshness(instance, dataclasses.replace(settings, start_date=TODAY)).startswith("no partition due")
        instance.report_runless_asset_event(AssetMaterialization(AssetKey(DAILY_ASSETS[0].split("/")), partition=yesterday))
        assert yesterday in check_freshness(instance, settings)
