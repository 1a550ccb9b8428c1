"""The run watchdog's judgement of a worker process: alive, gone, or a newer process on its pid.
(A run whose worker was really killed is failed by it in tests/faults/test_change_signal.py.)"""

from __future__ import annotations

import subprocess
import sys

import psutil

from data_platform.sensors.run_watchdog import PID_REUSE_SLACK_SECONDS, worker_alive


def test_a_running_worker_is_alive() -> None:
    me = psutil.Process()
    assert worker_alive(me.pid, me.create_time())


def test_an_exited_worker_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = psutil.Process(child.pid).create_time()
    child.wait()
    assert not worker_alive(child.pid, started)


def test_a_newer_process_on_the_workers_pid_is_not_the_worker() -> None:
    me = psutil.Process()
    assert not worker_alive(me.pid, me.create_time() - PID_REUSE_SLACK_SECONDS - 60)
