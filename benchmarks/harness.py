"""Timing runs and the result rows: median, min and max of repeated runs, and the table."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RUNS_VARIABLE = "BENCHMARK_RUNS"  # `--runs`; in the environment so child processes see it too


def repeats() -> int:
    """How many times each measured call runs (3 unless `--runs` says otherwise)."""
    return int(os.environ.get(RUNS_VARIABLE, "3"))


@dataclass(frozen=True)
class Timing:
    """Seconds of each run of one measured call."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def __str__(self) -> str:
        return f"{self.median:8.3f}s ({min(self.seconds):.3f}–{max(self.seconds):.3f})"


def measure(run: Callable[[], object], prepare: Callable[[], object] | None = None) -> Timing:
    """Time `run` `repeats()` times; `prepare` runs untimed before each (e.g. empty the target).

    When `prepare` returns something, `run` is called with it (e.g. a fresh Dagster context).
    """
    seconds = []
    for _ in range(repeats()):
        prepared = prepare() if prepare else None
        started = time.perf_counter()
        run() if prepared is None else run(prepared)
        seconds.append(time.perf_counter() - started)
    return Timing(tuple(seconds))


@dataclass
class Row:
    """One line of the table: ours against a baseline (speedup = baseline ÷ ours), or a figure."""

    key: str
    what: str
    ours: Timing
    baseline: Timing | None = None
    baseline_what: str = ""
    value: float | None = None  # the JSON figure when it is not a speedup
    unit: str = "x"
    extra: dict[str, float] = field(default_factory=dict)  # further JSON keys

    @property
    def figure(self) -> float:
        if self.value is not None:
            return self.value
        assert self.baseline is not None
        return self.baseline.median / self.ours.median

    def speedups(self) -> tuple[float, float]:
        """The ratio's range: worst and best pairing of the runs."""
        if self.baseline is None:
            return self.figure, self.figure
        return (min(self.baseline.seconds) / max(self.ours.seconds),
                max(self.baseline.seconds) / min(self.ours.seconds))  # fmt: skip


def table(rows: list[Row]) -> str:
    """A plain-text table: name, ours, baseline, ratio (median, min–max of the runs)."""
    lines = [f"{'name':32} {'ours: median (min–max)':28} {'baseline: median (min–max)':28} ratio",
             "-" * 110]  # fmt: skip
    for row in rows:
        baseline = str(row.baseline) if row.baseline else "—"
        low, high = row.speedups()
        ratio = f"{row.figure:,.2f}{row.unit}"
        if row.baseline:
            ratio += f" ({low:.2f}–{high:.2f})"
        lines.append(f"{row.key:32} {row.ours!s:28} {baseline:28} {ratio}")
        lines.append(f"{'':32} {row.what[:28]:28} {row.baseline_what[:28]:28}")
    return "\n".join(lines)


def summary(rows: list[Row]) -> dict[str, float]:
    """The JSON object of the last line: each row's figure and its extra keys."""
    result: dict[str, float] = {}
    for row in rows:
        result[row.key] = round(row.figure, 3)
        result.update({k: round(v, 3) for k, v in row.extra.items()})
    return result
