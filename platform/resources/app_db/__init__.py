"""The app's PostgreSQL database, the source of users, orders and NPS responses.

`resource` (read-only connections, schema checks, incremental and key reads) → `copy_arrow`
(`COPY … TO STDOUT` straight into Arrow batches, the extract's one read path).
"""

from data_platform.resources.app_db.resource import AppDbResource, SourceSchemaError

__all__ = ["AppDbResource", "SourceSchemaError"]
