"""The UI journeys through the real webserver and daemon: backfill, sensors, automation, UI.

One module, run in order: backfill the raw layer, drop a new landing folder and watch it
flow to the summary layer, fail a run and find its incident report, then load the UI.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from e2e_servers import ARTIFACTS, LOCATION, REPOSITORY, Platform, Servers, wait_for

# How long a run may take before it is called stuck. A day's Spark step plus the summary runs it
# sets off took 4.5 min on an otherwise idle 2-core machine and longer beside the rest of the
# suite; a wait returns as soon as its run is done, so only a stuck run costs the full wait.
RUN_PATIENCE = 900
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2 * RUN_PATIENCE)]

SOURCES = [["lake", "users"], ["raw", "users"], ["lake", "orders"], ["raw", "orders"],
           ["lake", "exchange_rates"], ["raw", "exchange_rates"]]
EVENTS = [["lake", "events"], ["raw", "events"]]
LANDING_SENSOR = "clickstream_landing_sensor"
CHROMIUM = Path("/usr/bin/chromium")

LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
BACKFILL_STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PartitionBackfill { status } ... on PythonError { message } } }"""
RUNS = """query($filter: RunsFilter) { runsOrError(filter: $filter) { ... on Runs { results {
  runId status startTime endTime tags { key value } } } } }"""
MATERIALIZATIONS = """query($key: AssetKeyInput!, $partitions: [String!]) { assetOrError(assetKey: $key) {
  ... on Asset { assetMaterializations(partitions: $partitions, limit: 10) { runId partition timestamp } } } }"""
SENSOR_MUTATION = """mutation($selector: SensorSelector!, $cursor: String) {
  setSensorCursor(sensorSelector: $selector, cursor: $cursor) { __typename }
  startSensor(sensorSelector: $selector) { __typename ... on Sensor { sensorState { status } } } }"""
ASSET_NODES = """{ assetNodes { assetKey { path } groupName
  partitionStats { numMaterialized numPartitions numFailed } } }"""


def runs(servers: Servers, **tags: str) -> list[dict]:
    filter_tags = [{"key": key.replace("__", "/"), "value": value} for key, value in tags.items()]
    return servers.graphql(RUNS, filter={"tags": filter_tags})["runsOrError"]["results"]


def materializations(servers: Servers, key: list[str], partition: str) -> list[dict]:
    found = servers.graphql(MATERIALIZATIONS, key={"path": key}, partitions=[partition])["assetOrError"]
    return found.get("assetMaterializations") or []


def test_a_partition_backfill_of_the_raw_layer_succeeds(servers: Servers, platform: Platform) -> None:
    *backfilled, newest = [day.isoformat() for day in platform.days]
    launched = servers.graphql(LAUNCH_BACKFILL, params={
        "assetSelection": [{"path": key} for key in SOURCES + EVENTS], "partitionNames": backfilled,
    })["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    # The newest day's sources as one job run, the way the schedule would ask for it.
    run_id = servers.client.submit_job_execution(
        "__ASSET_JOB", repository_location_name=LOCATION, repository_name=REPOSITORY,
        asset_selection=SOURCES, tags={"dagster/partition": newest})

    def backfill_done() -> str | None:
        status = servers.graphql(BACKFILL_STATUS, id=launched["backfillId"])["partitionBackfillOrError"]["status"]
        return status if status not in ("REQUESTED", "CANCELING", "FAILING") else None

    assert wait_for(backfill_done, "the raw backfill", RUN_PATIENCE) == "COMPLETED_SUCCESS"
    assert wait_for(lambda: _finished(servers.client.get_run_status(run_id).value), "the sources run", RUN_PATIENCE) == "SUCCESS"
    backfill_runs = runs(servers, dagster__backfill=launched["backfillId"])
    assert len(backfill_runs) == 1  # single-run backfill policy: the whole range in one run
    for day in backfilled:
        assert materializations(servers, ["raw", "events"], day)


def _finished(status: str) -> str | None:
    return status if status in ("SUCCESS", "FAILURE", "CANCELED") else None


def test_a_new_landing_folder_flows_to_the_summary_layer(servers: Servers, platform: Platform) -> None:
    newest = platform.days[-1].isoformat()
    landed = sorted(p.relative_to(platform.lake).as_posix() for p in platform.lake.glob("landing/clickstream/*/*.jsonl.gz"))
    selector = {"repositoryName": REPOSITORY, "repositoryLocationName": LOCATION, "sensorName": LANDING_SENSOR}
    # Start from what is already loaded, as an operator switching the sensor on today would.
    started = servers.graphql(SENSOR_MUTATION, selector=selector, cursor=landed[-1])["startSensor"]
    assert started["sensorState"]["status"] == "RUNNING", started
    shutil.move(platform.held_back, platform.landing_folder(platform.days[-1]))  # one rename: all files at once

    def events_run() -> dict | None:
        found = [run for run in runs(servers, dagster__sensor_name=LANDING_SENSOR) if _finished(run["status"])]
        return found[0] if found else None

    run = wait_for(events_run, f"the landing sensor's raw.events run for {newest}", RUN_PATIENCE)
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    assert run["status"] == "SUCCESS", run
    # Folder D holds late events of D-1: one run over both days.
    day_before = platform.days[-2].isoformat()
    assert (tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")) == (day_before, newest)
    for day in (day_before, newest):
        assert run["runId"] in {m["runId"] for m in materializations(servers, ["raw", "events"], day)}

    summary = wait_for(lambda: [m for m in materializations(servers, ["analytics", "channel_summary"], newest)
                                if float(m["timestamp"]) / 1000 > run["endTime"]],
                       f"analytics/channel_summary {newest} after raw.events", RUN_PATIENCE)
    summary_run = next(r for r in runs(servers) if r["runId"] == summary[0]["runId"])
    tags = {tag["key"]: tag["value"] for tag in summary_run["tags"]}
    # Launched by the platform's reactive machinery, not by hand: the automation sensor, or the
    # corrections sensor when raw.events reports the late-event days it changed.
    assert tags.get("dagster/sensor_name") in {"follow_upstream_sensor", "corrections_sensor"}, tags


def test_a_failed_run_leaves_an_incident_report(servers: Servers, platform: Platform) -> None:
    # A day before the simulation: its lake rates were never written, so loading them fails.
    day = platform.empty_day.isoformat()
    run_id = servers.client.submit_job_execution(
        "__ASSET_JOB", repository_location_name=LOCATION, repository_name=REPOSITORY,
        asset_selection=[["raw", "exchange_rates"]], tags={"dagster/partition": day})
    assert wait_for(lambda: _finished(servers.client.get_run_status(run_id).value), "the failing run", RUN_PATIENCE) == "FAILURE"
    path = wait_for(lambda: next(platform.lake.glob(f"incidents/date=*/{run_id}.json"), None),
                    "its incident report", RUN_PATIENCE)
    report = json.loads(path.read_text())
    assert report["partition"] == day and report["failed_assets"] == ["raw/exchange_rates"]
    assert report["run_url"] == f"{servers.url}/runs/{run_id}"
    assert "no lake file" in report["errors"][0]["error"] or "FileNotFoundError" in report["errors"][0]["error"]


def test_the_asset_graph_holds_every_layer_and_partition_status(servers: Servers, platform: Platform) -> None:
    nodes = servers.graphql(ASSET_NODES)["assetNodes"]
    groups = {node["groupName"] for node in nodes}
    assert {"raw", "summary", "production"} <= groups
    stats = {"/".join(node["assetKey"]["path"]): node["partitionStats"] for node in nodes}
    assert stats["raw/events"]["numMaterialized"] == len(platform.days)
    # From the empty day before the simulation up to yesterday (today, should the clock have
    # passed midnight since the fixture started, adds one).
    first = platform.empty_day
    assert stats["raw/events"]["numPartitions"] == (datetime.now(UTC).date() - first).days
    assert stats["raw/events"]["numFailed"] == 0
    assert stats["raw/exchange_rates"]["numMaterialized"] == len(platform.days)  # not the failed day
    assert stats["analytics/daily_revenue"]["numMaterialized"] >= 1


@pytest.mark.parametrize("page, path", [
    ("asset-graph", "/asset-groups"),
    ("raw-events-partitions", "/assets/raw/events?view=partitions"),
])
def test_the_ui_renders_in_a_browser(servers: Servers, tmp_path: Path, page: str, path: str) -> None:
    assert CHROMIUM.exists(), "Chromium is required: apt-get install -y chromium"
    # The UI greets a new instance with a community sign-up dialog over the page; mark it seen.
    assert servers.graphql("mutation { setNuxSeen }")["setNuxSeen"] is True
    target = ARTIFACTS / f"{page}.png"
    target.unlink(missing_ok=True)
    subprocess.run([
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=15000", "--hide-scrollbars",
        f"--screenshot={target}", "--window-size=1600,1000", servers.url + path,
    ], check=True, timeout=120, capture_output=True)
    width, height, colours = png_summary(target.read_bytes())
    assert (width, height) == (1600, 1000)
    assert colours > 40, f"{target} looks blank ({colours} distinct byte values)"


def png_summary(data: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values of a PNG's pixel data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    position, pixels = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        if data[position + 4:position + 8] == b"IDAT":
            pixels += data[position + 8:position + 8 + length]
        position += 12 + length
    return width, height, len(set(zlib.decompress(pixels)))
