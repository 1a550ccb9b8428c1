"""`athena/lake_tables`: the Glue/Athena catalog kept in step with the lake's tables.

Each lake table (the same list `data-platform sql` shows) becomes an external table
`lake.<name>` over its S3 folder, with partition projection on its `date=` folders.
In production the statements run through Athena; elsewhere (a `file://` lake) the asset
only plans them, and the DDL is in its metadata to read.
"""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from data_platform.assets import conventions as c
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.lake_sql import athena_ddl
from data_platform.resources.lake_sql.catalog import discover, read_schema
from data_platform.resources.lake_sql.resource import LakeSqlResource

ATHENA_TABLES = ["athena", "lake_tables"]


def wanted_ddl(lake: LakeResource) -> dict[str, str]:
    """`CREATE EXTERNAL TABLE` text for every lake table, from its newest file's schema."""
    location = lake.uri("")
    return {
        table.name: athena_ddl.create_table_sql(table, read_schema(lake, table), location)
        for table in discover(lake)
    }


@asset(
    key=ATHENA_TABLES,
    group_name=c.LAKE_SQL,
    owners=c.OWNERS,
    kinds={"athena", "glue", "s3"},
)
def athena_lake_tables(
    context: AssetExecutionContext, lake: LakeResource, lake_sql: LakeSqlResource
) -> MaterializeResult:
    """Glue/Athena external tables `lake.<name>` for every lake table (partition projection on
    `date`), re-created only when a table's DDL changes. Runs the DDL only where the lake is
    on S3 and `lake_sql` uses Athena; otherwise records the plan."""
    wanted = wanted_ddl(lake)
    apply = lake_sql.engine == "athena" and lake.uri("").startswith("s3://")
    if apply:
        import boto3

        runner = lake_sql.athena()
        existing = runner.table_digests(boto3.client("glue"))
    else:
        existing = {}
    steps = athena_ddl.plan(wanted, existing)
    if apply:
        for statement in steps.statements:
            runner.run(statement)
    context.log.info(f"athena tables: {len(wanted)} wanted; created {steps.created}, "
                     f"replaced {steps.replaced}, dropped {steps.dropped}")  # fmt: skip
    return MaterializeResult(
        metadata={
            "applied": apply,
            "tables": MetadataValue.int(len(wanted)),
            "created": ", ".join(steps.created) or "none",
            "replaced": ", ".join(steps.replaced) or "none",
            "dropped": ", ".join(steps.dropped) or "none",
            "ddl": MetadataValue.md("\n\n".join(f"```sql\n{s};\n```" for s in steps.statements)),
        }
    )
