"""The code location's shape, stored as readable JSON, so a change to the graph shows in review.

Asset keys, groups, deps, partitions, backfill and automation; checks and whether they block;
jobs; schedules and sensors with their default status. After a deliberate change, regenerate
the file and commit it with the change:

    UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/test_definitions_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dagster import Definitions

from data_platform.definitions import build_definitions
from data_platform.resources.settings import PlatformSettings

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")
SETTINGS = {"PLATFORM_START_DATE": "2026-01-01", "PLATFORM_DATA_DIR": "/nonexistent"}


def _partitions(node) -> str | None:
    return str(node.partitions_def) if node.partitions_def else None


def shape(defs: Definitions) -> dict:
    """Everything review should see change, in a stable order."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": _partitions(node),
            "backfill": str(node.backfill_policy) if node.backfill_policy else None,
            "automation": node.automation_condition.get_label() if node.automation_condition else None,
            "materializable": node.is_materializable,
        }
    checks = {
        f"{key.asset_key.to_user_string()}:{key.name}": {
            "blocking": graph.get_check_spec(key).blocking,
            "partitioned": graph.get_check_spec(key).partitions_def is not None,
        }
        for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))
    }
    repo = defs.get_repository_def()
    schedules = {
        s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone, "job": s.job_name,
                 "default_status": s.default_status.value}
        for s in sorted(repo.schedule_defs, key=lambda s: s.name)
    }  # fmt: skip
    sensors = {
        s.name: {"type": s.sensor_type.value, "default_status": s.default_status.value,
                 "minimum_interval_seconds": s.minimum_interval_seconds}
        for s in sorted(repo.sensor_defs, key=lambda s: s.name)
    }  # fmt: skip
    jobs = sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__"))
    return {"assets": assets, "checks": checks, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def current() -> dict:
    return shape(build_definitions(PlatformSettings.from_env(SETTINGS)))


def test_definitions_match_the_snapshot() -> None:
    actual = current()
    if os.environ.get("UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    assert actual == json.loads(SNAPSHOT.read_text()), (
        "the definitions changed; if on purpose: UPDATE_SNAPSHOT=1 pytest tests/test_definitions_snapshot.py"
    )


def test_snapshot_sees_a_changed_graph() -> None:
    """The snapshot is sensitive: dropping one check or one asset's partitions shows."""
    defs = build_definitions(PlatformSettings.from_env(SETTINGS))
    baseline = shape(defs)
    fewer_checks = Definitions.merge(
        Definitions(assets=defs.assets, schedules=defs.schedules, sensors=defs.sensors, jobs=defs.jobs,
                    resources=defs.resources),
        Definitions(asset_checks=list(defs.asset_checks)[1:]),
    )  # fmt: skip
    assert shape(fewer_checks)["checks"] != baseline["checks"]
