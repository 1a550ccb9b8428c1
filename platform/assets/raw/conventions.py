"""What every raw asset shares: group, owner, kinds and the single-run backfill policy."""

import warnings

from dagster import BackfillPolicy, Backoff, BetaWarning, RetryPolicy

# Single-run backfills and late-arrival mappings are deliberate; Dagster flags them as beta.
warnings.filterwarnings("ignore", message=".*(backfill_policy|allow_nonexistent_upstream_partitions).*", category=BetaWarning)

GROUP = "raw"
OWNERS = ["team:data-engineering"]
LAKE_KINDS = {"parquet", "s3"}
WAREHOUSE_KINDS = {"postgres", "redshift"}

# A 30-day backfill is one run: each asset handles a whole partition range at once.
BACKFILL = BackfillPolicy.single_run()

# Source reads meet flaky networks: retry the step with backoff before failing the run.
SOURCE_RETRY = RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL)
