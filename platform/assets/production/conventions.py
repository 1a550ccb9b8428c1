"""What every production asset shares: group, owner, and the names of the serving stores."""

from dagster import AssetKey, BackfillPolicy

GROUP = "production"
OWNERS = ["team:data-engineering"]

USER_FEATURES = AssetKey(["serving", "user_features"])
SERVING_CHANNEL_SUMMARY = AssetKey(["serving", "channel_summary"])
ANALYTICS_CHANNEL_SUMMARY = AssetKey(["analytics", "channel_summary"])

# The Redis namespace readers know: `user_features:<D>:<user_id>` and `user_features:current`.
FEATURE_NAMESPACE = "user_features"

# A backfill is one run that writes each day's version in order (the newest becomes current).
BACKFILL = BackfillPolicy.single_run()
