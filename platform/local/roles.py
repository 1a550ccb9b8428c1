"""Database roles of the local stack, the way a production warehouse has them.

    platform_loader       writes `raw` (owns it); the pipelines' warehouse role
    platform_transformer  reads `raw`, writes `analytics` (owns it); the summary layer's role
    platform_analyst      reads `raw` and `analytics`, writes nothing
    platform_app          the shop app's own role: owns the app database (`public`, `serving`)
    platform_server       the app server's role: reads `serving`
    platform_dagster      the Dagster instance's role: owns the `dagster` database (runs, event
                          logs, schedules) and nothing else

No role is a superuser, and none may create large objects or touch server files
(`lo_from_bytea`, `lo_export`, ...), so a model that is "one SELECT" cannot write a file on
the database host. The loader reads `analytics` (the production layer serves from it) by an
explicit grant, not as a member of the transformer: it can write no summary table. The
summary layer runs as the transformer (`PLATFORM_WAREHOUSE_TRANSFORM_URL`), and so does
retention of `analytics` days.
Locally the server trusts its unix socket, so roles have no passwords; in production each
URL carries its own credentials.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

LOADER, TRANSFORMER, ANALYST = "platform_loader", "platform_transformer", "platform_analyst"
APP, SERVER, DAGSTER = "platform_app", "platform_server", "platform_dagster"
ROLES = (LOADER, TRANSFORMER, ANALYST, APP, SERVER, DAGSTER)
# Large-object functions any role may call by default; the server-file ones need a superuser anyway.
LARGE_OBJECT_FUNCTIONS = (
    "lo_from_bytea(oid, bytea)", "lo_create(oid)", "lo_creat(integer)", "lo_put(oid, bigint, bytea)",
    "lo_import(text)", "lo_import(text, oid)", "lo_export(oid, text)", "lo_unlink(oid)",
)  # fmt: skip


def _run(conn: psycopg.Connection, template: str, *names: str) -> None:
    conn.execute(sql.SQL(template).format(*(sql.Identifier(n) for n in names)))


def ensure_roles(conn: psycopg.Connection) -> None:
    """Create the login roles once per server (roles are server-wide); harmless when they exist."""
    existing = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
    for role in ROLES:
        if role not in existing:
            _run(conn, "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE", role)
    # Earlier setups made the loader a member of the transformer; reading is granted per schema now.
    if conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (LOADER, TRANSFORMER)).fetchone()[0]:
        _run(conn, "REVOKE {} FROM {}", TRANSFORMER, LOADER)


def _revoke_large_objects(conn: psycopg.Connection) -> None:
    for signature in LARGE_OBJECT_FUNCTIONS:
        # Function ACLs live in each database's own catalog, so this runs per database.
        conn.execute(sql.SQL("REVOKE EXECUTE ON FUNCTION pg_catalog.{} FROM PUBLIC").format(sql.SQL(signature)))


def _own_schema(conn: psycopg.Connection, schema: str, owner: str) -> None:
    """The schema, owned by `owner` with every table in it (tables an older setup made too)."""
    _run(conn, "CREATE SCHEMA IF NOT EXISTS {}", schema)
    _run(conn, "ALTER SCHEMA {} OWNER TO {}", schema, owner)
    tables = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
    ).fetchall()  # fmt: skip
    for (table,) in tables:
        conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(schema, table), sql.Identifier(owner)))


def _readable(conn: psycopg.Connection, schema: str, writers: tuple[str, ...], readers: tuple[str, ...]) -> None:
    """`readers` may read every table of `schema`, including those `writers` create later."""
    for reader in readers:
        _run(conn, "GRANT USAGE ON SCHEMA {} TO {}", schema, reader)
        _run(conn, "GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}", schema, reader)
        for writer in writers:
            _run(conn, "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}",
                 writer, schema, reader)  # fmt: skip


def grant_warehouse(conn: psycopg.Connection) -> None:
    """Schemas and grants of a warehouse database (connected as its administrator)."""
    ensure_roles(conn)
    database = conn.info.dbname
    # CREATE on the database: `CREATE SCHEMA IF NOT EXISTS` checks it even when the schema exists.
    _run(conn, "GRANT CREATE ON DATABASE {} TO {}, {}", database, LOADER, TRANSFORMER)
    _own_schema(conn, "raw", LOADER)
    _own_schema(conn, "analytics", TRANSFORMER)
    _readable(conn, "raw", (LOADER,), (TRANSFORMER, ANALYST))
    _readable(conn, "analytics", (TRANSFORMER,), (ANALYST, LOADER))
    _revoke_large_objects(conn)


def grant_app(conn: psycopg.Connection) -> None:
    """The app database belongs to the app's role; the server role reads `serving`."""
    ensure_roles(conn)
    _run(conn, "ALTER DATABASE {} OWNER TO {}", conn.info.dbname, APP)
    _own_schema(conn, "public", APP)
    _own_schema(conn, "serving", APP)
    _readable(conn, "serving", (APP,), (SERVER, ANALYST))
    _revoke_large_objects(conn)


def grant_dagster(conn: psycopg.Connection) -> None:
    """The instance database belongs to the instance's role (tables an older setup made too)."""
    ensure_roles(conn)
    _run(conn, "ALTER DATABASE {} OWNER TO {}", conn.info.dbname, DAGSTER)
    _own_schema(conn, "public", DAGSTER)
    _revoke_large_objects(conn)


def role_url(admin_url: str, role: str) -> str:
    """The admin's socket URL with `role` as the user (no password: the socket is trusted)."""
    scheme, rest = admin_url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}" if "@" in rest else f"{scheme}://{role}@{rest}"
