"""The names of the serving stores and of the production assets that write them."""

from dagster import AssetKey

USER_FEATURES = AssetKey(["serving", "user_features"])
SERVING_CHANNEL_SUMMARY = AssetKey(["serving", "channel_summary"])
ANALYTICS_CHANNEL_SUMMARY = AssetKey(["analytics", "channel_summary"])

# The Redis namespace readers know: `user_features:<D>:<user_id>` and `user_features:current`.
FEATURE_NAMESPACE = "user_features"
