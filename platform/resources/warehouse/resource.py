"""The warehouse resource: PostgreSQL locally, Redshift in production, one interface.

Redshift speaks the PostgreSQL protocol, so both connect with psycopg; the URL's scheme
(`postgresql://` or `redshift://`) picks the dialect, which decides how data is loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import dagster as dg
import psycopg

from data_platform.resources.redaction import redact
from data_platform.resources.warehouse.engine import WarehouseEngine
from data_platform.resources.warehouse.sql import POSTGRES, REDSHIFT

SCHEMES = {"postgresql": POSTGRES, "postgres": POSTGRES, "redshift": REDSHIFT}


def dialect_of(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise ValueError(f"warehouse URL must start with postgresql:// or redshift://, not {scheme!r}://")
    return SCHEMES[scheme]


def conninfo(url: str) -> str:
    """A libpq URL: Redshift URLs only change their scheme (same protocol)."""
    return "postgresql" + url[url.index("://") :] if dialect_of(url) == REDSHIFT else url


class WarehouseResource(dg.ConfigurableResource):
    """The analytics warehouse (PostgreSQL or Redshift): connections and the write engine.

    `url` is `postgresql://...` or `redshift://user:pw@host:5439/db`. Redshift COPYs with
    `iam_role`: raw loads straight from the lake's S3 objects; tables computed in memory
    (summaries) are staged as Parquet under `staging_url` (s3://) first.
    """

    url: str
    iam_role: str | None = None
    staging_url: str | None = None
    s3_endpoint_url: str | None = None

    @property
    def dialect(self) -> str:
        return dialect_of(self.url)

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection]:
        """An autocommit connection in UTC; writes open their own explicit transactions."""
        try:
            conn = psycopg.connect(conninfo(self.url), autocommit=True, connect_timeout=15)
        except Exception as exc:  # the message may echo the URL: never let the password through
            raise _redacted(exc, self.url) from None
        with conn:
            conn.execute("SET TIME ZONE 'UTC'")
            yield conn

    def engine(self) -> WarehouseEngine:
        """The plain write engine bound to this warehouse."""
        return WarehouseEngine(
            self.get_connection, self.dialect, self.iam_role, self.staging_url, self.s3_endpoint_url
        )


def _redacted(exc: Exception, url: str) -> Exception:
    message = redact(str(exc), url)
    try:
        return type(exc)(message)
    except Exception:
        return ConnectionError(message)
