"""Fixtures of the simulator tests: a database of their own on the stack's server, and readers."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

TABLES = {"users": "user_id", "orders": "order_id", "nps_responses": "response_id"}


@pytest.fixture(scope="module")
def fresh_db(make_database: Callable[[str], str]) -> Callable[[], str]:
    """Empty databases beside the stack's `app` (which other tests share)."""
    return lambda: make_database("sim")


def landing_files(lake: Path) -> dict[str, bytes]:
    """Every landing file of the clickstream by path relative to the lake, with its bytes."""
    root = lake / "landing" / "clickstream"
    return {str(p.relative_to(lake)): p.read_bytes() for p in sorted(root.glob("date=*/*.jsonl.gz"))}


def digest(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def folder_lines(lake: Path) -> dict[str, list[str]]:
    """The lines of each landing folder (`date=YYYY-MM-DD` → lines of all its files)."""
    folders: dict[str, list[str]] = {}
    for path in sorted((lake / "landing" / "clickstream").glob("date=*/*.jsonl.gz")):
        text = gzip.decompress(path.read_bytes()).decode()
        folders.setdefault(path.parent.name, []).extend(text.splitlines())
    return folders


def snapshot(db_url: str) -> dict[str, list[tuple]]:
    """Every row of the simulated tables, ordered by key."""
    with psycopg.connect(db_url) as conn:
        return {
            table: conn.execute(sql.SQL("SELECT * FROM {} ORDER BY {}").format(
                sql.Identifier("public", table), sql.Identifier(key))).fetchall()
            for table, key in TABLES.items()
        }


@pytest.fixture(scope="session")
def read() -> object:
    """The readers above, for test modules (conftest functions are not importable)."""

    class Readers:
        files = staticmethod(landing_files)
        digest = staticmethod(digest)
        folders = staticmethod(folder_lines)
        tables = staticmethod(snapshot)

    return Readers
