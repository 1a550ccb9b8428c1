"""The clickstream step: landing files of a day → its valid, deduplicated events and quarantine.

`files` decodes the landing files on Spark's executors, `validate` is the line contract as
Spark column expressions, `copies` decides which copy of a repeated `event_id` wins, `job`
runs the day and `lake` says where Spark reads and writes and publishes the finished day.
"""
