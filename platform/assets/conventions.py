"""What every asset shares, defined once: its group (the layer), owner, kinds and backfill policy."""

from dagster import BackfillPolicy

# Groups are the layers; the UI's lineage view and the automation sensor select by them.
RAW = "raw"
SUMMARY = "summary"
PRODUCTION = "production"
MAINTENANCE = "maintenance"
LAKE_SQL = "lake_sql"

OWNERS = ["team:data-engineering"]

# Kinds are the systems an asset lives in: the UI shows them as badges and filters by them.
LAKE_KINDS = {"parquet", "s3"}
WAREHOUSE_KINDS = {"postgres", "redshift"}
SQL_KINDS = {"sql", *WAREHOUSE_KINDS}

# A backfill of N days is one run: every daily asset handles a whole partition range at
# once (one Spark start, one warehouse transaction, Redis versions written in day order).
BACKFILL = BackfillPolicy.single_run()
