"""Keeping a folder under a size budget by deleting the oldest files that are safe to lose.

Only reproducible or already-reported files are candidates: compute logs of finished runs,
incident reports and quarantined lines older than a few days. Databases, the lake's data
and the archive are never touched; if the budget still cannot be met, the report says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from data_platform.assets.maintenance.run_cleanup import folder_bytes

DATE_FOLDER = re.compile(r"date=(\d{4}-\d{2}-\d{2})")
LAKE_REPORT_PREFIXES = ("incidents", "quarantine")


@dataclass(frozen=True)
class Removed:
    path: str
    bytes: int


def compute_log_files(root: Path | None, keep_runs: set[str]) -> list[Path]:
    """Compute-log files (`<root>/<run_id>/compute_logs/*`), oldest first, except `keep_runs`'."""
    if root is None or not root.is_dir():
        return []
    files = [p for p in root.glob("*/compute_logs/*") if p.is_file() and p.parts[-3] not in keep_runs]
    return sorted(files, key=lambda p: p.stat().st_mtime)


def lake_report_files(lake_root: Path | None, keep_from: date) -> list[Path]:
    """Incident reports and quarantine files of days before `keep_from`, oldest day first."""
    if lake_root is None:
        return []
    dated = []
    for prefix in LAKE_REPORT_PREFIXES:
        for path in (lake_root / prefix).rglob("*"):
            match = DATE_FOLDER.search(str(path.relative_to(lake_root)))
            if path.is_file() and match and date.fromisoformat(match.group(1)) < keep_from:
                dated.append((match.group(1), path.stat().st_mtime, path))
    return [path for *_, path in sorted(dated)]


def trim_to_budget(root: Path, budget_bytes: int, candidates: Iterable[Path], dry_run: bool = False) -> list[Removed]:
    """Delete candidates in order until `root` fits in `budget_bytes`; returns what went."""
    size, removed = folder_bytes(root), []
    for path in candidates:
        if size <= budget_bytes:
            break
        if not path.resolve().is_relative_to(root.resolve()):
            continue  # outside the folder being trimmed: deleting it would not help
        freed = path.stat().st_size
        if not dry_run:
            path.unlink()
            _remove_empty_parents(path.parent, root)
        size -= freed
        removed.append(Removed(str(path), freed))
    return removed


def _remove_empty_parents(folder: Path, root: Path) -> None:
    while folder.resolve() != root.resolve() and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
