"""Lake models: one SQL file over `lake.<name>` tables becomes a lake table of its own.

`models/<name>.sql` is the asset `["lake", "<name>"]`, stored as Parquet under
`raw/<name>/` by the lake IO manager (so it is itself `lake.<name>` afterwards). Its query
runs through `LakeSqlResource`: DuckDB over the files locally, Athena in production.
"""

from pathlib import Path

import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, asset

from data_platform.assets import conventions as c
from data_platform.resources.lake_sql.resource import LakeSqlResource

MODELS = Path(__file__).parent / "models"


def model_sql(name: str) -> str:
    return (MODELS / f"{name}.sql").read_text()


def build_lake_model(name: str, deps: list[AssetKey]) -> AssetsDefinition:
    sql = model_sql(name)
    description = " ".join(
        line.removeprefix("--").strip() for line in sql.splitlines() if line.startswith("--")
    )

    @asset(
        key=["lake", name],
        deps=deps,
        group_name=c.LAKE_SQL,
        owners=c.OWNERS,
        kinds={"duckdb", "athena", "parquet"},
        io_manager_key="lake_io_manager",
        description=description,
        metadata={"sql": sql},
    )
    def lake_model(context: AssetExecutionContext, lake_sql: LakeSqlResource) -> pa.Table:
        table = lake_sql.query(sql)
        context.add_output_metadata({"engine": lake_sql.engine, "rows": table.num_rows})
        return table

    return lake_model
