"""What the end-to-end tests share: the platform they run against, the servers, polling.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import requests
from dagster_graphql import DagsterGraphQLClient

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"
LOCATION, REPOSITORY = "data_platform", "__repository__"


@dataclass
class Platform:
    """What the servers run against: simulated days, the lake folder, the environment."""

    days: list[date]  # simulated days, oldest first; the last one's landing is held back
    empty_day: date  # a partition before the simulation: no source data at all
    lake: Path
    held_back: Path
    env: dict[str, str]

    def landing_folder(self, day: date) -> Path:
        return self.lake / "landing" / "clickstream" / f"date={day.isoformat()}"


@dataclass
class Servers:
    port: int
    home: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient("127.0.0.1", port_number=self.port)

    def graphql(self, query: str, **variables: object) -> dict:
        response = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60)
        body = response.json()
        assert response.ok and "errors" not in body, (response.status_code, body.get("errors"))
        return body["data"]


def wait_for(check: Callable[[], object], what: str, timeout: float, every: float = 2.0) -> object:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")




def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/server_info", timeout=2).ok
    except requests.RequestException:
        return False
