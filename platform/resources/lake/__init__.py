"""The data lake: a `file://` folder locally, `s3://bucket/prefix` in production.

`resource` (atomic writes, reads, listings) → `io_manager` (Parquet per partition) →
`tables` (shaping into one table per day); `filesystems` opens either kind of URL.
"""

from data_platform.resources.lake.io_manager import LakeIOManager, LakeParquetEngine
from data_platform.resources.lake.resource import LakeResource, WriteInfo

__all__ = ["LakeIOManager", "LakeParquetEngine", "LakeResource", "WriteInfo"]
