"""`data-platform backfill`: a partition range checked against the calendar, then run by Dagster.

Dagster's own `dagster asset materialize --partition-range A...B` accepts a reversed range or
days outside the partitions and only fails inside the run (an internal `CheckError`). Here
the range is refused before anything starts, with the reason in one line; a valid range is
handed to that same command, as one run, on the instance the UI shows.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from dagster import DailyPartitionsDefinition

from data_platform.assets.partitions import daily_partitions
from data_platform.resources.settings import PlatformSettings, ensure_dagster_home


def parse_range(text: str) -> tuple[date, date]:
    """`A...B` (Dagster's syntax) or a single day `D` as inclusive dates."""
    first, sep, last = text.partition("...")
    try:
        return date.fromisoformat(first), date.fromisoformat(last if sep else first)
    except ValueError:
        raise ValueError(f"a partition range is YYYY-MM-DD...YYYY-MM-DD, not {text!r}") from None


def check_range(first: date, last: date, partitions: DailyPartitionsDefinition) -> None:
    """Refuse a reversed range and days that are not partitions (yet)."""
    if last < first:
        raise ValueError(f"the range is reversed: {last} comes before {first}")
    oldest, newest = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    if newest is None or first.isoformat() < oldest:
        raise ValueError(f"{first} is before the first partition {oldest} (PLATFORM_START_DATE)")
    if last.isoformat() > newest:
        raise ValueError(f"{last} is after the newest partition {newest}: a day is a partition once it is over (UTC)")


def materialize_command(select: str, first: date, last: date) -> list[str]:
    """Dagster's CLI for one run over the range (the assets' single-run backfill policy)."""
    dagster = Path(sys.executable).with_name("dagster")
    return [str(dagster), "asset", "materialize", "-m", "data_platform.definitions",
            "--select", select, "--partition-range", f"{first}...{last}"]  # fmt: skip


def run_backfill(settings: PlatformSettings, select: str, partition_range: str) -> int:
    """Check the range, then materialize it; the exit code is Dagster's."""
    first, last = parse_range(partition_range)
    check_range(first, last, daily_partitions(settings.start_date))
    ensure_dagster_home()  # the UI's instance, so the run shows there
    return subprocess.run(materialize_command(select, first, last), check=False).returncode
