"""The dbt models as Dagster assets: one multi-asset for the daily-partitioned (incremental)
models, one for the full-refresh ones, both running `dbt build` (models, then their tests).

A partitioned run passes its window in the environment (`macros/window.sql`; a backfill of
many days is one run, one window); the models replace exactly that window. dbt's tests
become blocking asset checks. A model whose SQL fails stops only itself and what is
downstream of it in dbt; the others are built, and the step then fails with dbt's message
and the file.
"""

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import suppress
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
)
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.core.dbt_cli_invocation import PARTIAL_PARSE_FILE_NAME
from packaging.version import Version

from data_platform.assets import conventions
from data_platform.assets.summary.dbt_env import dbt_environment
from data_platform.assets.summary.failing_rows import with_failing_rows
from data_platform.assets.summary.project import PROJECT_DIR, dbt_executable
from data_platform.assets.summary.translator import SummaryTranslator
from data_platform.resources.warehouse.resource import WarehouseResource

PARTITIONED = "config.materialized:incremental"


class SummaryDbt(DbtCliResource):
    """dbt for the summary project, without two extra dbt start-ups per run: the version is
    the installed dbt-core's (not `dbt --version` in a subprocess), and no in-process adapter
    is opened (it only serves column metadata, which these assets do not fetch)."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def run_window(context: AssetExecutionContext) -> tuple[str, str] | None:
    """The run's UTC window `[start, end)` as YYYY-MM-DD; `None` for unpartitioned runs."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    window = context.partition_time_window
    return f"{window.start:%Y-%m-%d}", f"{window.end:%Y-%m-%d}"


def run_build(context: AssetExecutionContext, warehouse: WarehouseResource, project_dir: Path) -> Iterator[object]:
    """`dbt build` of the selected models and tests against the platform's warehouse."""
    dbt = SummaryDbt(project_dir=str(project_dir), profiles_dir=str(project_dir), dbt_executable=dbt_executable())
    with dbt_environment(warehouse.url, run_window(context), project_dir):
        invocation = dbt.cli(["build"], context=context, raise_on_error=False)
    try:
        events = list(invocation.stream())
        yield from with_failing_rows(events, warehouse, Path(invocation.target_path))
        keep_parse(Path(invocation.target_path))
    finally:
        # Each run gets its own target folder (compiled SQL, logs): the run's events carry
        # what matters, so the folder does not pile up on the code server.
        shutil.rmtree(invocation.target_path, ignore_errors=True)
    if error := invocation.get_error():
        raise error


def keep_parse(run_target: Path) -> None:
    """Keep this run's parsed project beside its target folder (`parse_folder`), where
    dagster-dbt gives it to the next run, which then re-parses only what changed (dbt checks
    the files, profile and version itself). Replaced atomically: concurrent runs each read a
    whole file. A run that wrote no parse, or a read-only install, keeps none."""
    kept = run_target.parent / PARTIAL_PARSE_FILE_NAME
    staged = kept.with_name(f"{kept.name}.{run_target.name}")
    with suppress(OSError):
        shutil.copyfile(run_target / PARTIAL_PARSE_FILE_NAME, staged)
        os.replace(staged, kept)
    staged.unlink(missing_ok=True)


def build_dbt_assets(
    manifest: Path | dict, partitions: DailyPartitionsDefinition, project_dir: Path = PROJECT_DIR
) -> list[AssetsDefinition]:
    translator = SummaryTranslator()

    @dbt_assets(
        manifest=manifest,
        select=PARTITIONED,
        name="summary_dbt_daily",
        partitions_def=partitions,
        backfill_policy=conventions.BACKFILL,
        dagster_dbt_translator=translator,
    )
    def summary_dbt_daily(context: AssetExecutionContext, transform_warehouse: WarehouseResource) -> Iterator[object]:
        """The daily-partitioned dbt models: each run replaces its window of days."""
        yield from run_build(context, transform_warehouse, project_dir)

    @dbt_assets(
        manifest=manifest,
        exclude=PARTITIONED,
        name="summary_dbt_full",
        dagster_dbt_translator=translator,
    )
    def summary_dbt_full(context: AssetExecutionContext, transform_warehouse: WarehouseResource) -> Iterator[object]:
        """The full-refresh dbt models: rebuilt beside the table, then swapped in."""
        yield from run_build(context, transform_warehouse, project_dir)

    return [summary_dbt_daily, summary_dbt_full]
