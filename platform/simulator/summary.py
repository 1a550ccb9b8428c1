"""What a simulation wrote, per day, as a short table for people."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date


@dataclass(frozen=True)
class DaySummary:
    """Rows and lines written for one day (`users` counts rows created that day)."""

    day: date
    users: int
    orders: int
    nps_rows: int
    changes: int  # updates, refunds and soft deletes applied
    events: int
    late: int
    duplicates: int
    malformed: int
    lines: int
    files: int
    bytes: int


@dataclass
class SimulationSummary:
    """The days a simulation wrote and where; `str()` gives a table."""

    lake_url: str
    seed: int
    scale: float
    days: list[DaySummary] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(getattr(day, name) for day in self.days)

    @property
    def users(self) -> int:
        return self.total("users")

    @property
    def orders(self) -> int:
        return self.total("orders")

    @property
    def events(self) -> int:
        return self.total("events")

    @property
    def files(self) -> int:
        return self.total("files")

    def __str__(self) -> str:
        columns = [f.name for f in fields(DaySummary)][1:]
        header = f"{'day':<10} " + " ".join(f"{c:>10}" for c in columns)
        rows = [f"{d.day.isoformat():<10} " + " ".join(f"{getattr(d, c):>10,}" for c in columns)
                for d in self.days]
        total = f"{'total':<10} " + " ".join(f"{self.total(c):>10,}" for c in columns)
        return "\n".join([
            f"simulated {len(self.days)} day(s), seed {self.seed}, scale {self.scale:g}, "
            f"in {self.seconds:.1f}s; clickstream under {self.lake_url}",
            header, *rows, total,
        ])
