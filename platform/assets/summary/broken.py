"""Failing placeholders for summary models that do not load, so nothing else goes down.

A placeholder has the model's key (`["analytics", <file stem>]`, made a valid name), shows
the problem and the file as its description, and fails with that message when
materialized. The problem is also logged when definitions load.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from dagster import AssetsDefinition, asset

from data_platform.assets.summary.project import PROJECT_DIR
from data_platform.assets.summary.translator import DEFAULT_OWNER, GROUP, SCHEMA
from data_platform.assets.summary.vetting import ModelProblem

log = logging.getLogger(__name__)


class BrokenModelError(RuntimeError):
    """A summary model that cannot be built until its file is fixed."""


def asset_name(stem: str) -> str:
    return re.sub(r"\W", "_", stem) or "_"


def placeholder(name: str, path: str, message: str) -> AssetsDefinition:
    text = f"BROKEN MODEL {path}: {message}"
    log.error("summary model does not load: %s", text)

    @asset(
        key=[SCHEMA, asset_name(name)],
        group_name=GROUP,
        owners=[DEFAULT_OWNER],
        kinds={"dbt", "sql"},
        tags={"model_status": "broken"},
        description=text,
        metadata={"model_error": message, "source_file": path},
    )
    def broken_model() -> None:
        raise BrokenModelError(text)

    return broken_model


def build_broken_assets(
    parse_error: str | None = None, problems: list[ModelProblem] = (), project_dir: Path = PROJECT_DIR
) -> list[AssetsDefinition]:
    """Placeholders for each model with a problem; if the project does not parse at all,
    one per model file, each failing with dbt's parse error (which names the file)."""
    if parse_error is not None:
        files = sorted((project_dir / "models").rglob("*.sql"))
        stems = {asset_name(p.stem): str(p.relative_to(project_dir)) for p in files}
        return [placeholder(name, path, f"the dbt project does not parse: {parse_error}") for name, path in stems.items()]
    return [placeholder(p.name, p.path, p.message) for p in problems]
