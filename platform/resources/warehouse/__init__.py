"""The warehouse: PostgreSQL locally, Redshift in production, one write path.

`resource` (connections, dialect) → `io_manager` (asset metadata → `contract`, the one
typed write contract) → `engine` (the only writer of warehouse-like tables, the serving
copy included: builds a `plan` of statements and audits as data from `sql`, then runs it in
one transaction; a failed audit rolls it back); `source` hands it rows (Arrow or lake files),
`arrow` shapes data on the way in, `read` on the way out, `redshift` stages to S3 for `COPY`.
"""

from data_platform.resources.warehouse.contract import (
    ContractError,
    SchemaDriftError,
    WriteContract,
)
from data_platform.resources.warehouse.engine import AuditError, WarehouseEngine, WriteStats
from data_platform.resources.warehouse.io_manager import WarehouseIOManager
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import TableRef

__all__ = [
    "AuditError",
    "ContractError",
    "SchemaDriftError",
    "TableRef",
    "WarehouseEngine",
    "WarehouseIOManager",
    "WarehouseResource",
    "WriteContract",
    "WriteStats",
]
