"""A model file: `models/<table>.sql` is one SELECT with a YAML header in `--` comments.

    -- description: What one row means.
    -- owner: team:analytics                (optional)
    -- partition_column: event_date         (omit for a full refresh)
    -- grain: [event_date, channel]
    -- checks: {non_negative: [...], conditions: {...}, reconcile: {...}}
    SELECT ...

Problems are `ModelError`s that name the file and line, so one broken file never hides
the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from data_platform.assets.summary.post_steps import POST_STEPS, REQUIRED_COLUMNS
from data_platform.assets.summary.sql_text import (
    ParsedSelect,
    SqlError,
    parse_condition,
    parse_query,
    parse_select,
)

SCHEMA = "analytics"
DEFAULT_OWNER = "team:analytics"
HEADER_KEYS = {"description", "owner", "partition_column", "grain", "checks", "post_step", "reads_ahead"}
MAX_READS_AHEAD_DAYS = 7
CHECK_KINDS = {"non_negative", "conditions", "reconcile"}
WINDOW_PARAMETERS = frozenset({"start", "end"})


class ModelError(ValueError):
    """A model file that cannot become a table, with the place to fix it."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path.name}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True)
class SqlModel:
    name: str
    path: Path
    text: str
    parsed: ParsedSelect
    description: str
    grain: tuple[str, ...]
    owner: str = DEFAULT_OWNER
    partition_column: str | None = None
    checks: dict = field(default_factory=dict)
    post_step: str | None = None
    # Upstream `schema.table` → days after D that can still change partition D.
    reads_ahead: dict = field(default_factory=dict)

    @property
    def code_version(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


def header_lines(text: str) -> list[str]:
    """The leading `--` comment lines, without their `--` (and one following space)."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:]
        lines.append(body[1:] if body.startswith(" ") else body)
    return lines


def load_model(path: Path) -> SqlModel:
    """Parse and validate one model file."""
    text = path.read_text()
    try:
        header = yaml.safe_load("\n".join(header_lines(text))) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ModelError(path, (mark.line + 1) if mark else 1, f"header is not valid YAML: {exc}") from None
    if not isinstance(header, dict) or not {"description", "grain"} <= header.keys():
        raise ModelError(path, 1, "the header needs at least `-- description:` and `-- grain: [columns]`")
    if unknown := set(header) - HEADER_KEYS:
        raise ModelError(path, 1, f"unknown header keys {sorted(unknown)}; known: {sorted(HEADER_KEYS)}")
    try:
        parsed = parse_select(text)
        _validate(header, parsed)
    except SqlError as exc:
        raise ModelError(path, exc.line, exc.message) from None
    return SqlModel(
        name=path.stem, path=path, text=text, parsed=parsed, description=str(header["description"]).strip(),
        grain=tuple(header["grain"]), owner=header.get("owner", DEFAULT_OWNER),
        partition_column=header.get("partition_column"), checks=header.get("checks") or {},
        post_step=header.get("post_step"), reads_ahead=header.get("reads_ahead") or {},
    )  # fmt: skip


def _validate(header: dict, parsed: ParsedSelect) -> None:
    columns = set(parsed.columns)
    partition_column = header.get("partition_column")
    if missing := [c for c in [*header["grain"], *([partition_column] if partition_column else [])] if c not in columns]:
        raise SqlError(f"header names columns the SELECT does not return: {missing}")
    allowed = WINDOW_PARAMETERS if partition_column else frozenset()
    if extra := parsed.parameters - allowed:
        hint = "only :start and :end" if partition_column else "none (full refresh)"
        raise SqlError(f"unknown parameters {sorted(extra)}: this model takes {hint}")
    if partition_column and parsed.parameters != WINDOW_PARAMETERS:
        raise SqlError("a partitioned model must filter its window with both :start and :end")
    step = header.get("post_step")
    if step is not None and step not in POST_STEPS:
        raise SqlError(f"unknown post_step {step!r}; known: {sorted(POST_STEPS)}")
    if step and (lacking := [c for c in REQUIRED_COLUMNS[step] if c not in columns]):
        raise SqlError(f"post_step {step} needs the columns {lacking}")
    _validate_reads_ahead(header, parsed)
    checks = header.get("checks") or {}
    if unknown := set(checks) - CHECK_KINDS:
        raise SqlError(f"unknown checks {sorted(unknown)}; known: {sorted(CHECK_KINDS)}")
    for condition in (checks.get("conditions") or {}).values():
        parse_condition(condition)
    for name, query in (checks.get("reconcile") or {}).items():
        try:
            parse_query(query)
        except SqlError as exc:
            raise SqlError(f"check {name}: {exc.message}") from None


def load_models(folder: Path) -> tuple[list[SqlModel], list[ModelError]]:
    """Every `*.sql` model in `folder`, and the errors of those that cannot be used."""
    models, errors = [], []
    for path in sorted(folder.glob("*.sql")):
        try:
            models.append(load_model(path))
        except ModelError as exc:
            errors.append(exc)
    return models, errors


def _validate_reads_ahead(header: dict, parsed: ParsedSelect) -> None:
    reads_ahead = header.get("reads_ahead") or {}
    if reads_ahead and not header.get("partition_column"):
        raise SqlError("reads_ahead only applies to partitioned models")
    read = {".".join(table) for table in parsed.tables}
    for table, days in reads_ahead.items():
        if table not in read:
            raise SqlError(f"reads_ahead names {table!r}, which the SELECT does not read")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_READS_AHEAD_DAYS:
            raise SqlError(f"reads_ahead for {table} must be a whole number of days from 1 to {MAX_READS_AHEAD_DAYS}")
