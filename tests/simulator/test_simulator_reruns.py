"""Reruns give the same bytes and rows, replace rather than append, and never move the DB back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest

from data_platform.local.processes import StackError
from data_platform.simulator.run import SimulationConfig, simulate

START, SCALE = date(2026, 3, 1), 0.5


def config(start: date = START, days: int = 5, seed: int = 7) -> SimulationConfig:
    return SimulationConfig(start=start, days=days, scale=SCALE, seed=seed)


@pytest.fixture(scope="module")
def first(fresh_db, tmp_path_factory: pytest.TempPathFactory, read) -> dict:
    """Days 1–5 once, with what they wrote."""
    db_url, lake = fresh_db(), tmp_path_factory.mktemp("lake")
    simulate(config(), db_url, lake.as_uri())
    return {"db": db_url, "lake": lake, "files": read.digest(read.files(lake)), "tables": read.tables(db_url)}


def test_two_runs_write_identical_files_and_tables(first, fresh_db, tmp_path: Path, read) -> None:
    db_url = fresh_db()
    simulate(config(), db_url, tmp_path.as_uri())
    assert read.digest(read.files(tmp_path)) == first["files"]
    assert read.tables(db_url) == first["tables"]
    assert len(first["files"]) == 5 * 4 and len(first["tables"]["orders"]) > 200


def test_rerun_replaces_and_does_not_move_the_db_back(first, read) -> None:
    tables = first["tables"]
    assert any(row[5] == "refunded" for row in tables["orders"])  # later changes exist to lose
    simulate(config(days=3), first["db"], first["lake"].as_uri())
    simulate(config(start=date(2026, 3, 2), days=1), first["db"], first["lake"].as_uri())
    assert read.digest(read.files(first["lake"])) == first["files"]
    assert not list(first["lake"].rglob("*.tmp"))
    assert read.tables(first["db"]) == tables
    with psycopg.connect(first["db"]) as conn:
        state = dict(conn.execute("SELECT name, value FROM public.simulator_state").fetchall())
    assert state["through"] == "2026-03-05"


def test_any_day_can_be_made_alone(first, fresh_db, tmp_path: Path, read) -> None:
    simulate(config(start=date(2026, 3, 4), days=1), fresh_db(), tmp_path.as_uri())
    alone = read.digest(read.files(tmp_path))
    assert alone == {name: h for name, h in first["files"].items() if "date=2026-03-04" in name}


def test_extending_the_run_applies_changes_that_fell_due(first, fresh_db, tmp_path: Path, read) -> None:
    db_url = fresh_db()
    simulate(config(days=2), db_url, tmp_path.as_uri())
    early = read.tables(db_url)
    simulate(config(start=date(2026, 3, 3), days=3), db_url, tmp_path.as_uri())
    assert read.tables(db_url) == first["tables"]
    assert read.digest(read.files(tmp_path)) == first["files"]
    assert early["orders"] != first["tables"]["orders"][: len(early["orders"])]


def test_a_different_seed_is_refused(first) -> None:
    with pytest.raises(StackError, match="seed 7, not 8"):
        simulate(config(days=1, seed=8), first["db"], first["lake"].as_uri())
