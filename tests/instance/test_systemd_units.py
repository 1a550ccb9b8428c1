"""The systemd units in deploy/systemd supervise what a deployment must keep running: each
restarts its process, reads the shared environment file, and starts a command (and
subcommand) this installation has."""

from __future__ import annotations

import configparser
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))
INSTALL = "/opt/data-platform"


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_the_daemon_webserver_and_workers_are_supervised() -> None:
    assert [p.name for p in UNITS] == ["dagster-daemon.service", "dagster-webserver.service", "data-platform-worker@.service"]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_restarts_a_command_of_this_installation(path: Path) -> None:
    service = unit(path)["Service"]
    assert service["Restart"] == "always" and int(service["RestartSec"]) > 0
    assert service["EnvironmentFile"] == "/etc/data-platform/env"
    command = shlex.split(service["ExecStart"].replace("%i", "1"))
    binary = Path(command[0].replace(f"{INSTALL}/.venv/bin", str(Path(sys.executable).parent)))
    args = [a.replace(INSTALL, str(REPO)) for a in command[1:]]
    assert binary.exists(), binary
    done = subprocess.run([str(binary), *args, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
