"""The warehouse: PostgreSQL locally, Redshift in production, one write path.

`resource` (connections, dialect) → `io_manager` (asset metadata → write) → `engine`
(the only writer) → `plan` (statements as data, built from `sql`) → `executor` (one
transaction); `arrow` shapes data on the way in, `read` on the way out, `redshift` stages
to S3 for `COPY`.
"""

from data_platform.resources.warehouse.engine import SchemaDriftError, WarehouseEngine, WriteStats
from data_platform.resources.warehouse.io_manager import WarehouseIOManager
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import TableRef

__all__ = [
    "SchemaDriftError",
    "TableRef",
    "WarehouseEngine",
    "WarehouseIOManager",
    "WarehouseResource",
    "WriteStats",
]
