"""Scratch places on the local stack: databases, a Redis database and a lake folder of their own.

The benchmark never writes where the demo's data lives: each database it creates is named
`bench_<random>` and dropped afterwards, Redis work happens in a database number the demo
does not use (emptied after), and the lake is a temporary folder.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

SCRATCH_REDIS_DB = 15


def database_creator_url(url: str) -> str:
    """`url` if its role may create databases, else the local stack's administrator: the
    platform's own roles (what `.env` holds) cannot, and scratch databases need one that can."""
    with psycopg.connect(url) as conn:
        query = "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
        if conn.execute(query).fetchone()[0]:
            return url
    from data_platform.local.stack import LocalStack
    from data_platform.resources.settings import data_dir

    return LocalStack(data_dir()).admin_urls()["PLATFORM_WAREHOUSE_URL"]


@contextmanager
def scratch_database(warehouse_url: str, prefix: str = "bench") -> Iterator[str]:
    """A new empty database on the warehouse's server; its URL, dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(warehouse_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(warehouse_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def redis_db_url(redis_url: str, db: int = SCRATCH_REDIS_DB) -> str:
    """The same Redis server, another database number."""
    return urlunsplit(urlsplit(redis_url)._replace(path=f"/{db}"))


@contextmanager
def scratch_redis(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the scratch database, which must be empty at the start; emptied on exit."""
    url = redis_db_url(redis_url)
    client = redis.Redis.from_url(url, socket_timeout=120)
    if client.dbsize():
        raise RuntimeError(f"Redis database {SCRATCH_REDIS_DB} is not empty: it is not scratch space here")
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


@contextmanager
def scratch_lake() -> Iterator[Path]:
    """A temporary local lake folder, removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="bench-lake-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
