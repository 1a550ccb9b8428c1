"""The environment switch: every setting the platform reads from the environment, read once.

Local defaults point at the embedded stack under `<repo>/.data`; production sets every
variable. Nothing else in the package reads `os.environ` for configuration.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

LOCAL, PROD = "local", "prod"

# Variables whose values may carry credentials: resources receive them as `EnvVar`s.
SECRET_VARIABLES = (
    "PLATFORM_WAREHOUSE_URL",
    "PLATFORM_WAREHOUSE_TRANSFORM_URL",
    "PLATFORM_WAREHOUSE_ANALYST_URL",
    "PLATFORM_APP_DB_URL",
    "PLATFORM_APP_SERVER_URL",
    "PLATFORM_REDIS_URL",
    "PLATFORM_DAGSTER_PG_URL",
    "PLATFORM_CELERY_BROKER_URL",
)
EXECUTORS = ("multiprocess", "in_process", "celery")


def project_root() -> Path:
    """The repository root for an editable install, else the working directory."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("PLATFORM_DATA_DIR") or project_root() / ".data")


def env_file() -> Path:
    """The `.env` that `data-platform services up` writes and every entry point reads: the
    repository's, or `PLATFORM_ENV_FILE` (e.g. a test session's own, so a developer's
    local stack never leaks into tests)."""
    return Path(os.environ.get("PLATFORM_ENV_FILE") or project_root() / ".env")


def load_env_file() -> None:
    """Fill unset variables from the `.env` file (written by `data-platform services up`).

    Real environment variables win: nothing set is overwritten, and each line the platform
    writes defers to a real variable of its name (see `local.stack.write_env_file`)."""
    from dotenv import load_dotenv

    load_dotenv(env_file(), override=False)


def ensure_dagster_home() -> Path:
    """DAGSTER_HOME, defaulting to `<data>/dagster_home` for the local deployment, with the
    repository's dagster.yaml in it (refreshed when the repository's copy changed)."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(data_dir() / "dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    source, target = project_root() / "dagster.yaml", home / "dagster.yaml"
    if source.exists() and (not target.exists() or target.read_bytes() != source.read_bytes()):
        shutil.copyfile(source, target)
    return home


@dataclass(frozen=True)
class PlatformSettings:
    env: str
    lake_url: str
    s3_endpoint_url: str | None
    warehouse_url: str | None
    redshift_iam_role: str | None
    redshift_staging_url: str | None
    app_db_url: str | None
    redis_url: str | None
    rates_api_url: str | None
    spark_master: str
    start_date: date
    slack_webhook_url: str | None
    ui_url: str
    # How often sensors tick; tests shorten it, deployments keep Dagster's usual 30 s.
    sensor_interval_seconds: int = 30
    # `multiprocess` (a process per step), `in_process` (one process per run: quicker to
    # start on a small machine, one Spark session per run) or `celery` (steps on workers).
    executor: str = "multiprocess"
    # The celery broker and result backend (a Redis database apart from the features).
    celery_broker_url: str | None = None
    # The warehouse as the transformer (reads `raw`, writes `analytics`: the summary layer,
    # e.g. dbt's profile) and as the read-only analyst (ad-hoc SQL).
    warehouse_transform_url: str | None = None
    warehouse_analyst_url: str | None = None
    # The Dagster instance's PostgreSQL database (dagster.yaml reads the same variable).
    dagster_pg_url: str | None = None
    # Yesterday's partition of every daily asset is expected once this cron has ticked (UTC).
    freshness_deadline_cron: str = "0 3 * * *"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PlatformSettings:
        environ = os.environ if environ is None else environ
        get = lambda name: environ.get(name) or None  # noqa: E731
        env = (get("PLATFORM_ENV") or LOCAL).lower()
        if env not in (LOCAL, PROD):
            raise ValueError(f"PLATFORM_ENV must be '{LOCAL}' or '{PROD}', not {env!r}")
        if env == PROD and (problems := production_problems(environ)):
            raise ValueError("PLATFORM_ENV=prod needs every system named: " + "; ".join(problems))
        lake_default = (data_dir(environ) / "lake").as_uri()
        return cls(
            env=env,
            lake_url=get("PLATFORM_LAKE_URL") or lake_default,
            s3_endpoint_url=get("PLATFORM_S3_ENDPOINT_URL"),
            warehouse_url=get("PLATFORM_WAREHOUSE_URL"),
            redshift_iam_role=get("PLATFORM_REDSHIFT_IAM_ROLE"),
            redshift_staging_url=get("PLATFORM_REDSHIFT_STAGING_URL"),
            app_db_url=get("PLATFORM_APP_DB_URL"),
            redis_url=get("PLATFORM_REDIS_URL"),
            rates_api_url=get("PLATFORM_RATES_API_URL"),
            spark_master=get("PLATFORM_SPARK_MASTER") or "local[*]",
            start_date=date.fromisoformat(get("PLATFORM_START_DATE") or "2026-01-01"),
            slack_webhook_url=get("PLATFORM_SLACK_WEBHOOK_URL"),
            ui_url=get("PLATFORM_UI_URL") or "http://127.0.0.1:3000",
            sensor_interval_seconds=int(get("PLATFORM_SENSOR_INTERVAL_SECONDS") or 30),
            executor=_executor(get("PLATFORM_EXECUTOR") or "multiprocess"),
            celery_broker_url=get("PLATFORM_CELERY_BROKER_URL"),
            warehouse_transform_url=get("PLATFORM_WAREHOUSE_TRANSFORM_URL"),
            warehouse_analyst_url=get("PLATFORM_WAREHOUSE_ANALYST_URL"),
            dagster_pg_url=get("PLATFORM_DAGSTER_PG_URL"),
            freshness_deadline_cron=get("PLATFORM_FRESHNESS_DEADLINE_CRON") or "0 3 * * *",
        )

    def missing(self) -> list[str]:
        """Variables without which the platform cannot reach its systems."""
        required = {
            "PLATFORM_WAREHOUSE_URL": self.warehouse_url,
            "PLATFORM_APP_DB_URL": self.app_db_url,
            "PLATFORM_REDIS_URL": self.redis_url,
            "PLATFORM_RATES_API_URL": self.rates_api_url,
        }
        return [name for name, value in required.items() if not value]


# Production names every system itself: nothing may fall back to a local default.
PROD_REQUIRED = (
    "PLATFORM_LAKE_URL", "PLATFORM_WAREHOUSE_URL", "PLATFORM_APP_DB_URL", "PLATFORM_REDIS_URL",
    "PLATFORM_RATES_API_URL", "PLATFORM_UI_URL", "PLATFORM_SPARK_MASTER", "PLATFORM_START_DATE",
)  # fmt: skip
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def production_problems(environ: Mapping[str, str]) -> list[str]:
    """Why `environ` is not a production environment: variables unset, or values pointing at
    the embedded stack (its sockets and lake live in the local data folder, its servers on
    the loopback address, which also makes incident links useless to anyone else)."""
    local = str(data_dir(environ))
    problems = []
    for name in PROD_REQUIRED:
        value = environ.get(name) or ""
        if not value:
            problems.append(f"{name} is not set")
        elif local in value or any(f"//{host}" in value or f"@{host}" in value for host in _LOOPBACK):
            problems.append(f"{name} points at the local stack")
    return problems


def _executor(name: str) -> str:
    if name not in EXECUTORS:
        raise ValueError(f"PLATFORM_EXECUTOR must be one of {', '.join(EXECUTORS)}, not {name!r}")
    return name
