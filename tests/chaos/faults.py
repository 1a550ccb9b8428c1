"""Faults and the supervisor that repairs them: kill -9 a run, a step, the daemon, PostgreSQL or
Redis at seeded moments; bring a killed server or daemon back 10–30 s later, as systemd, RDS or
ElastiCache would. Nothing here reruns a run: recovery is the platform's own."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from data_platform.local.stack import LocalStack

KINDS = ("run", "step", "daemon", "postgres", "redis")
RUN_WORKER = "execute_run"  # `dagster api execute_run`: the default launcher's run process


def run_workers(home: str) -> list[psutil.Process]:
    """Run processes of the instance at DAGSTER_HOME `home` (not another platform's on this host)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(RUN_WORKER in part for part in process.info["cmdline"] or []) and (
                process.environ().get("DAGSTER_HOME") == home
            ):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def step_processes(home: str) -> list[psutil.Process]:
    """Python processes a run worker started (the multiprocess executor's steps)."""
    steps = []
    for worker in run_workers(home):
        try:
            children = worker.children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        steps.extend(c for c in children if c.name().startswith("python"))
    return steps


def kill_tree(process: psutil.Process) -> None:
    """SIGKILL a process and every process under it (a server dying with its backends)."""
    try:
        victims = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for victim in victims:
        try:
            victim.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass


@dataclass
class Supervised:
    """The daemon: restarted by the supervisor when it is found dead."""

    start: Callable[[], subprocess.Popen]
    process: subprocess.Popen | None = None

    def up(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = self.start()


@dataclass
class Chaos:
    """Seeded faults every `every` seconds, each repaired after `restart_after` seconds."""

    stack: LocalStack
    daemon: Supervised
    seed: int
    home: str  # the instance's DAGSTER_HOME: runs of other instances are never touched
    every: tuple[float, float] = (40, 90)
    restart_after: tuple[float, float] = (10, 30)
    injected: Counter = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """No new faults; wait for the last repair, then make sure everything runs."""
        self._stop.set()
        self._thread.join()
        self.repair()

    def repair(self) -> None:
        with self._lock:
            self.stack.up()
            self.daemon.up()

    def _loop(self) -> None:
        plan: list[str] = []
        while not self._stop.wait(self.random.uniform(*self.every)):
            if not plan:  # every kind once per round, in a seeded order
                plan = self.random.sample(KINDS, len(KINDS))
            kind = plan.pop()
            if self._inject(kind):
                self.injected[kind] += 1
                time.sleep(self.random.uniform(*self.restart_after))
                self.repair()

    def _inject(self, kind: str) -> bool:
        victim = self._victim(kind)
        if victim is None:
            self.log.append(f"{time.strftime('%H:%M:%S')} {kind}: nothing to kill")
            return False
        self.log.append(f"{time.strftime('%H:%M:%S')} kill -9 {kind} (pid {victim.pid})")
        with self._lock:
            kill_tree(victim) if kind == "postgres" else victim.send_signal(signal.SIGKILL)
        return True

    def _victim(self, kind: str) -> psutil.Process | None:
        try:
            if kind in ("run", "step"):
                found = run_workers(self.home) if kind == "run" else step_processes(self.home)
                return self.random.choice(found) if found else None
            if kind == "daemon":
                return psutil.Process(self.daemon.process.pid) if self.daemon.process else None
            server = next(s for s in self.stack.status() if s.name == kind)  # postgres or redis
            return psutil.Process(server.pid) if server.running else None
        except (psutil.NoSuchProcess, TypeError, ValueError, OSError):
            return None
