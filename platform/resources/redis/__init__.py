"""Redis for serving: versioned hash namespaces published by moving one pointer.

`store` (the resource and the versioned writer) → `resp` (pipelined bulk HSET) →
`versions` (registry, completeness, retirement); `pointers` reads and rolls back.
"""

from data_platform.resources.redis.pointers import RollbackError, read_current, rollback
from data_platform.resources.redis.store import RedisResource, VersionedHashStore

__all__ = ["RedisResource", "RollbackError", "VersionedHashStore", "read_current", "rollback"]
