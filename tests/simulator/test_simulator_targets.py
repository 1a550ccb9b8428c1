"""The simulator writes to an S3-compatible lake and runs from the `data-platform` command."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from pyarrow import fs

from data_platform import cli
from data_platform.simulator.run import SimulationConfig, simulate

DAY = date(2026, 2, 1)


def test_s3_lake_gets_the_same_bytes(s3_endpoint: str, fresh_db, tmp_path: Path, read) -> None:
    config = SimulationConfig(start=DAY, days=1, scale=0.2)
    simulate(config, fresh_db(), "s3://lake/sim", s3_endpoint)
    simulate(config, fresh_db(), tmp_path.as_uri())
    s3 = fs.S3FileSystem(endpoint_override=s3_endpoint.split("://")[1], scheme="http")
    infos = s3.get_file_info(fs.FileSelector("lake/sim/landing/clickstream", recursive=True))
    stored = {}
    for info in infos:
        if info.type == fs.FileType.File:
            with s3.open_input_stream(info.path) as stream:
                stored[info.path.removeprefix("lake/sim/")] = stream.read()
    assert read.digest(stored) == read.digest(read.files(tmp_path))
    assert len(stored) == 4


def test_cli_simulates_and_prints_a_summary(fresh_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    db_url = fresh_db()
    monkeypatch.setenv("PLATFORM_APP_DB_URL", db_url)
    monkeypatch.setenv("PLATFORM_LAKE_URL", tmp_path.as_uri())
    code = cli.main(["simulate", "--start", "2026-02-01", "--days", "2", "--scale", "0.2", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0
    assert "2026-02-01" in out and "2026-02-02" in out and "total" in out
    assert len(list(tmp_path.glob("landing/clickstream/date=*/part-*.jsonl.gz"))) == 8
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM public.orders").fetchone()[0] > 10
        state = dict(conn.execute("SELECT name, value FROM public.simulator_state").fetchall())
    assert state["seed"] == "3" and state["through"] == "2026-02-02"


def test_cli_without_an_app_db_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PLATFORM_APP_DB_URL", raising=False)
    monkeypatch.setenv("PLATFORM_ENV_FILE", str(tmp_path / ".env"))  # no .env there
    code = cli.main(["simulate", "--start", "2026-02-01", "--days", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0 and "PLATFORM_APP_DB_URL is not set" in err
