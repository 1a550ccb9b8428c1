"""The clickstream line contract in Spark SQL: a typed event, or the reason a line is malformed.

JSON is parsed into Spark's VARIANT type, which keeps each value's JSON type: `user_id`
`7`, `"7"`, `7.0` and `true` are told apart (BIGINT, STRING, DECIMAL, BOOLEAN), which a
schema-driven `from_json` would coerce or blank out without saying why.
"""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

EVENT_TYPES = ("page_view", "add_to_cart", "purchase")
FIELDS = (
    "event_id",
    "ts",
    "user_id",
    "session_id",
    "event_type",
    "page",
    "channel",
    "experiments",
    "user_agent",
)
# An event is a few hundred bytes; a line past 64 KiB is a shipper fault, and no field of it
# could be loaded anyway (Redshift's VARCHAR holds at most 65535 bytes).
MAX_LINE_BYTES = 65_536
RAW_LINE_CHARS = 1000
STRING_FIELDS = ("event_id", "session_id", "event_type", "page", "channel", "user_agent")
# A `\uD800`-`\uDBFF` escape not followed by a `\uDC00`-`\uDFFF` one, or the reverse, outside
# an escaped backslash: text no UTF-8 store can hold (parsers turn it into "?" or fail).
_ESCAPE = r"(?<!\\)(?:\\\\)*\\u"
LONE_SURROGATE = (
    rf"{_ESCAPE}[dD][89abAB][0-9a-fA-F]{{2}}(?!\\u[dD][c-fC-F])"
    rf"|{_ESCAPE}(?<![dD][89abAB][0-9a-fA-F]{{2}}\\u)[dD][c-fC-F][0-9a-fA-F]{{2}}"
)
# A NUL escape in JSON text (PostgreSQL's text and jsonb cannot store U+0000).
NUL_ESCAPE = rf"{_ESCAPE}0000"


def _field(name: str) -> Column:
    return F.variant_get("v", f"$.{name}", "variant")


def _type_checks(name: str) -> list[tuple[Column, str]]:
    """(condition, reason) pairs saying a field is missing or of the wrong JSON type."""
    kind = F.schema_of_variant(_field(name))
    if name == "user_id":
        wrong = (kind != "BIGINT", "user_id not an integer")
    elif name == "experiments":
        wrong = (~kind.startswith("OBJECT"), "experiments not an object")
    else:
        wrong = (kind != "STRING", f"{name} not a string")
    return [(_field(name).isNull(), f"missing field {name}"), wrong]


def _reason(day: date, in_day: Column) -> Column:
    """The first failed check of a line, in the order a reader would check it; null if valid."""
    value = F.col("value")
    checks: list[tuple[Column, str]] = [
        (~F.is_valid_utf8(value), "not utf-8"),
        (F.octet_length(value) > MAX_LINE_BYTES, "line too long"),
        (F.trim(value) == "", "empty line"),
        (value.rlike(LONE_SURROGATE), "invalid surrogate escape"),
        (F.col("v").isNull(), "invalid json"),
        (~value.rlike(r"^\s*\{"), "not a json object"),
    ]
    for name in FIELDS:
        checks += _type_checks(name)
        if name in ("event_id", "session_id"):
            checks.append((F.col(name) == "", f"empty {name}"))
        if name == "ts":
            checks.append((F.col("ts").isNull(), "bad ts"))
        if name == "event_type":
            checks.append((~F.col("event_type").isin(*EVENT_TYPES), "unknown event_type"))
        if name in STRING_FIELDS:
            checks.append((F.instr(F.col(name), "\u0000") > 0, f"NUL in {name}"))
        if name == "experiments":
            checks.append((F.col(name).rlike(NUL_ESCAPE), "NUL in experiments"))
    # Folder D feeds partitions D-1 (late arrivals) and D; any other date would be read by
    # no partition at all, so it is quarantined rather than lost.
    window = F.col("event_date").isin(day - timedelta(days=1), day)
    checks.append((in_day & ~window, "ts outside window"))
    reason = F.when(checks[0][0], checks[0][1])
    for condition, text in checks[1:]:
        reason = reason.when(condition, text)
    return reason


def check_lines(lines: DataFrame, day: date, day_count: int) -> DataFrame:
    """Check `lines(file_idx, line_number, value, file_reason)`: typed event columns plus
    `in_day`, `reason` and `raw_line` (set only where `reason` is).

    Keeps every line and file record of folder D (`in_day`), and the valid lines of folder
    D+1 dated D or D+1 (the ones that can decide which copy of an `event_id` landed first).
    """
    value = F.col("value").cast("string")
    parseable = F.is_valid_utf8(value) & (F.octet_length(value) <= MAX_LINE_BYTES)
    parsed = lines.select(
        "file_idx",
        "line_number",
        value.alias("value"),
        "file_reason",
        (F.col("file_idx") < day_count).alias("in_day"),
        F.when(parseable & F.col("file_reason").isNull(), F.try_parse_json(value)).alias("v"),
    )
    text = lambda name: F.try_variant_get("v", f"$.{name}", "string")  # noqa: E731
    typed = parsed.select(
        "*",
        text("event_id").alias("event_id"),
        text("ts").try_cast("timestamp").alias("ts"),
        F.try_variant_get("v", "$.user_id", "bigint").alias("user_id"),
        *(text(name).alias(name) for name in ("session_id", "event_type", "page", "channel")),
        F.to_json(_field("experiments")).alias("experiments"),
        text("user_agent").alias("user_agent"),
    ).withColumn("event_date", F.to_date("ts"))
    reason = F.coalesce(F.col("file_reason"), _reason(day, F.col("in_day")))
    checked = typed.withColumn("reason", reason).withColumn(
        "raw_line",
        F.when(
            F.col("reason").isNotNull(), F.left(F.make_valid_utf8("value"), F.lit(RAW_LINE_CHARS))
        ),
    )
    dates = F.col("event_date").isin(day, day + timedelta(days=1))
    keep = F.col("in_day") | (F.col("reason").isNull() & dates)
    return checked.where(keep).drop("value", "v", "file_reason")
