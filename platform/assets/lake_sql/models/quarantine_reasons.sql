-- Quarantined clickstream lines per day and reason: what the log shipper sent that the
-- platform could not use. The same text runs in DuckDB (`data-platform sql`) and in Athena.
SELECT date, reason, count(*) AS lines
FROM lake.quarantine_clickstream
GROUP BY date, reason
ORDER BY date, reason
