"""The dbt profile's connection, derived from the warehouse URL the rest of the platform uses.

`profiles.yml` reads these variables with `env_var()`: `PLATFORM_DBT_TARGET` picks the
output (`local` = dbt-postgres for `postgresql://`, `prod` = dbt-redshift for
`redshift://`). The password travels as `DBT_ENV_SECRET_…`, which dbt scrubs from its logs.
A partitioned run's window travels the same way (`PLATFORM_DBT_WINDOW_START`/`_END`), and
so does the folder its parse is kept in (`DBT_TARGET_PATH`, one per warehouse connection).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from data_platform.resources.warehouse.resource import dialect_of
from data_platform.resources.warehouse.sql import REDSHIFT

PASSWORD = "DBT_ENV_SECRET_WAREHOUSE_PASSWORD"
WINDOW_START, WINDOW_END = "PLATFORM_DBT_WINDOW_START", "PLATFORM_DBT_WINDOW_END"
TARGET_PATH = "DBT_TARGET_PATH"
# What of the profile dbt's saved parse depends on (it re-parses when these change).
CONNECTION = ("PLATFORM_DBT_TARGET", "PLATFORM_DBT_HOST", "PLATFORM_DBT_PORT", "PLATFORM_DBT_USER", "PLATFORM_DBT_DBNAME")


def profile_env(url: str) -> dict[str, str]:
    """The variables `profiles.yml` reads, for a `postgresql://` or `redshift://` URL."""
    parts, redshift = urlsplit(url), dialect_of(url) == REDSHIFT
    query = parse_qs(parts.query)
    # libpq URLs may put the host (a unix socket directory) in the query string.
    host = query.get("host", [parts.hostname or "localhost"])[0]
    return {
        "PLATFORM_DBT_TARGET": "prod" if redshift else "local",
        "PLATFORM_DBT_HOST": unquote(host),
        "PLATFORM_DBT_PORT": str(parts.port or query.get("port", ["5439" if redshift else "5432"])[0]),
        "PLATFORM_DBT_USER": unquote(parts.username or query.get("user", ["postgres"])[0]),
        "PLATFORM_DBT_DBNAME": unquote(parts.path.lstrip("/") or query.get("dbname", ["warehouse"])[0]),
        PASSWORD: unquote(parts.password or query.get("password", [""])[0]),
        # CAST(ts AS DATE) must give the UTC day in every session dbt opens (tests included).
        "PGTZ": "UTC",
    }


def window_env(window: tuple[str, str] | None) -> dict[str, str | None]:
    """The run's window `[start, end)` (YYYY-MM-DD) as `macros/window.sql` reads it; `None`
    (every day) unsets it, so a window left in the process environment never leaks in."""
    start, end = window or (None, None)
    return {WINDOW_START: start, WINDOW_END: end}


def parse_folder(project_dir: Path, url: str) -> Path:
    """Where runs against the warehouse at `url` keep their parsed project: dagster-dbt makes
    each run's target folder inside it and copies the parse kept there into the run. dbt
    parses the whole project again when the connection differs from the saved parse's, so
    deployments or tests on other warehouses that shared one folder would undo each other's."""
    profile = profile_env(url)
    digest = hashlib.sha256("\0".join(profile[name] for name in CONNECTION).encode()).hexdigest()
    return project_dir / "target" / f"runs-{digest[:12]}"


@contextmanager
def dbt_environment(url: str, window: tuple[str, str] | None = None, project_dir: Path | None = None) -> Iterator[None]:
    """Set the profile's variables, the run's window and the target folder (`parse_folder` of
    `project_dir`; dagster-dbt's default without one) while a dbt process starts (it copies
    the environment), then put the environment back as it was."""
    target = str(parse_folder(project_dir, url)) if project_dir else None
    wanted = {**profile_env(url), **window_env(window), TARGET_PATH: target}
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        _apply(wanted)
        yield
    finally:
        _apply(saved)


def _apply(variables: dict[str, str | None]) -> None:
    for name, value in variables.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
