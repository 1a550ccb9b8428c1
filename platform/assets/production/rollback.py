"""Rolling the served user features back to the previous complete version."""

import redis as redis_client
from dagster import OpExecutionContext, job, op

from data_platform.assets.production.stores import FEATURE_NAMESPACE
from data_platform.resources.redis.pointers import rollback
from data_platform.resources.redis.store import RedisResource


def rollback_user_features(client: redis_client.Redis) -> str:
    """Point `user_features:current` at the previous complete version and return it.

    Raises `RollbackError` when there is no complete earlier version, or when a writer
    published a new version during the rollback (nothing changes then).
    """
    return rollback(client, FEATURE_NAMESPACE)


@op
def rollback_user_features_op(context: OpExecutionContext, redis: RedisResource) -> str:
    """Move `user_features:current` back one complete version (a bad day's features)."""
    version = rollback_user_features(redis.get_client())
    context.log.info(f"user_features:current now names {version}")
    return version


@job(description="Serve the previous complete version of the Redis user features again.")
def rollback_user_features_job() -> None:
    rollback_user_features_op()
