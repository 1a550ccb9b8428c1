"""The lake's tables as Athena (Glue) external tables: DDL text, and the plan that keeps it in step.

Partitioned tables use partition projection on their Hive-style `date=YYYY-MM-DD` folders,
so a new day is queryable the moment its files land: no `MSCK REPAIR`, no `ADD PARTITION`.
Each table carries a digest of its own DDL in `TBLPROPERTIES`; a table is re-created only
when its digest changes (a new column, an earlier first day), and only tables carrying such
a digest are ever dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

from data_platform.resources.lake_sql.catalog import PARTITION, LakeTable

DATABASE = "lake"
DIGEST_PROPERTY = "platform.ddl_digest"


def hive_type(arrow_type: pa.DataType) -> str:
    """The Athena (Hive DDL) type that reads a Parquet column of this Arrow type."""
    t = arrow_type
    if pa.types.is_dictionary(t):
        return hive_type(t.value_type)
    simple = [
        (pa.types.is_boolean, "boolean"), (pa.types.is_int8, "tinyint"), (pa.types.is_int16, "smallint"),
        (pa.types.is_int32, "int"), (pa.types.is_int64, "bigint"), (pa.types.is_uint8, "smallint"),
        (pa.types.is_uint16, "int"), (pa.types.is_uint32, "bigint"), (pa.types.is_uint64, "decimal(20,0)"),
        (pa.types.is_float32, "float"), (pa.types.is_float64, "double"), (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "timestamp"), (pa.types.is_string, "string"),
        (pa.types.is_large_string, "string"), (pa.types.is_binary, "binary"),
        (pa.types.is_large_binary, "binary"),
        (pa.types.is_null, "string"),  # a column that was empty on the newest day
    ]  # fmt: skip
    for test, name in simple:
        if test(t):
            return name
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"array<{hive_type(t.value_type)}>"
    if pa.types.is_map(t):
        return f"map<{hive_type(t.key_type)},{hive_type(t.item_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{hive_type(f.type)}" for f in t) + ">"
    raise TypeError(f"no Athena type for Arrow type {t}")


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def string(text: str) -> str:
    return "'" + text.replace("'", "\\'") + "'"


def first_day(table: LakeTable) -> str:
    """The earliest `date=` folder: where the projection's range starts."""
    return min(f.split(f"{PARTITION}=", 1)[1][:10] for f in table.files)


def create_table_sql(table: LakeTable, schema: pa.Schema, lake_uri: str, database: str = DATABASE) -> str:
    """`CREATE EXTERNAL TABLE` for one lake table, its digest included as a table property."""
    location = f"{lake_uri.rstrip('/')}/{table.folder}/"
    # A partition column may not repeat as a data column.
    kept = [f for f in schema if not (table.partitioned and f.name == PARTITION)]
    columns = [f"  {quote(f.name)} {hive_type(f.type)}" for f in kept]
    properties = {"parquet.compression": "SNAPPY"}
    if table.partitioned:
        properties |= {
            "projection.enabled": "true",
            f"projection.{PARTITION}.type": "date",
            f"projection.{PARTITION}.format": "yyyy-MM-dd",
            f"projection.{PARTITION}.range": f"{first_day(table)},NOW",
            f"projection.{PARTITION}.interval": "1",
            f"projection.{PARTITION}.interval.unit": "DAYS",
            "storage.location.template": f"{location}{PARTITION}=${{{PARTITION}}}/",
        }
    body = [
        f"CREATE EXTERNAL TABLE {quote(database)}.{quote(table.name)} (",
        ",\n".join(columns),
        ")",
        *([f"PARTITIONED BY ({quote(PARTITION)} date)"] if table.partitioned else []),
        "STORED AS PARQUET",
        f"LOCATION {string(location)}",
    ]
    ddl = "\n".join(body)
    properties[DIGEST_PROPERTY] = digest(ddl, properties)
    listed = ",\n".join(f"  {string(k)} = {string(v)}" for k, v in properties.items())
    return f"{ddl}\nTBLPROPERTIES (\n{listed}\n)"


def digest(ddl: str, properties: dict[str, str]) -> str:
    text = ddl + "\n" + "\n".join(f"{k}={v}" for k, v in sorted(properties.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def digest_of(create_sql: str) -> str:
    """The digest a `create_table_sql` text carries."""
    marker = f"{string(DIGEST_PROPERTY)} = '"
    return create_sql.split(marker, 1)[1].split("'", 1)[0]


@dataclass(frozen=True)
class Plan:
    """Statements to run, in order, and what they do to which table."""

    statements: list[str]
    created: list[str]
    replaced: list[str]
    dropped: list[str]
    unchanged: list[str]


def plan(
    wanted: dict[str, str], existing: dict[str, str | None], database: str = DATABASE
) -> Plan:
    """From the wanted DDL per table and the digests the catalog holds (None: a table the
    platform did not create), the statements that bring the catalog in step."""
    statements = [f"CREATE DATABASE IF NOT EXISTS {quote(database)}"]
    created, replaced, unchanged, dropped = [], [], [], []
    for name, ddl in sorted(wanted.items()):
        if name not in existing:
            created.append(name)
        elif existing[name] == digest_of(ddl):
            unchanged.append(name)
            continue
        else:
            replaced.append(name)  # dropping an external table leaves its files alone
            statements.append(f"DROP TABLE IF EXISTS {quote(database)}.{quote(name)}")
        statements.append(ddl)
    for name, held in sorted(existing.items()):
        if name not in wanted and held is not None:
            dropped.append(name)
            statements.append(f"DROP TABLE IF EXISTS {quote(database)}.{quote(name)}")
    return Plan(statements, created, replaced, dropped, unchanged)
