"""The clickstream line contract in Spark SQL: a typed event, or the reason a line is malformed.

Every line is parsed once with an explicit schema (`from_json`). That parse cannot tell
`user_id` `"7"` from `7.0` or `true`, nor `"page": "5"` from `5`; the lines where it could
matter (malformed ones, and values that read like JSON literals) are parsed again into
Spark's VARIANT type, which keeps each value's JSON type, and checked field by field.
Both paths give the same reason for the same line.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import reduce
from operator import and_

from pyspark import SparkContext
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from data_platform.assets.raw.clickstream.files import SCANS

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


# One parse of each line into the typed fields. Non-string JSON values in a string field come
# back as their JSON text, and an integer in quotes leaves `user_id` null: a row whose fields
# could be such text is checked again from its VARIANT parse (below), which keeps types.
# `UNCONVERTED` holds the line where a value could not be converted. The parse keeps the other
# values then: a `user_id` given twice, an integer and then text, keeps the integer.
UNCONVERTED = "_unconverted"
SCHEMA = (
    "event_id string, ts string, user_id bigint, session_id string, event_type string,"
    f" page string, channel string, experiments variant, user_agent string, {UNCONVERTED} string"
)
# JSON text of a number, boolean, object or array: what a non-string value in a string field reads as.
_NOT_PLAIN_TEXT = r"^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|[\[{].*)$"


def _parsed_text(name: str) -> Column:
    """A field's value from the schema parse; `experiments` as JSON text (a VARIANT prints an
    object's keys sorted), printed where this is used, not once per line."""
    return F.to_json("j.experiments") if name == "experiments" else F.col(name)


def _plain_text(text: Column) -> Column:
    """Present, and not JSON text of a non-string value (the regex runs only on the few
    values whose first character allows it: a number, true or false has no `:`, which
    spares every timestamp). The first character is tested by byte comparisons and prefix
    tests, which copy nothing ("0" <= text < ":": a digit first)."""
    number_like = (text >= "0") & (text < ":") | text.startswith("-") | text.startswith("t") | text.startswith("f")
    could_be = text.startswith("[") | text.startswith("{") | (number_like & ~text.contains(":"))
    literal = could_be & text.rlike(_NOT_PLAIN_TEXT)
    return text.isNotNull() & ~literal


def _fast_path() -> Column:
    """True where the schema parse alone settles the line: one whole JSON object (`braced`:
    braces balanced, nothing after it) whose nine fields all have their JSON type, every value
    converted.

    With user_id a number and experiments an object, a line with just two bare values (values
    not starting with a quote, counted by the decoder) has a JSON string in every other field,
    so the text checks on each field run only on the other lines."""
    texts = [F.col(f"j.{name}") for name in (*STRING_FIELDS, "ts")]
    # An object: read as an (empty) struct, which only an object can be; false, not unknown,
    # where the field is absent, so such a line is checked field by field.
    typed = (
        F.col("j.user_id").isNotNull()
        & F.try_variant_get("j.experiments", "$", "struct<>").isNotNull()
        & F.col(f"j.{UNCONVERTED}").isNull()
    )
    present = reduce(and_, (text.isNotNull() for text in texts))
    plain = reduce(and_, (_plain_text(text) for text in texts))
    return F.col("braced") & typed & F.when(F.col("bare_values") == 2, present).otherwise(plain)


def _variant_field(name: str) -> Column:
    return F.variant_get("v", f"$.{name}", "variant")


def _type_checks(name: str) -> list[tuple[Column, str]]:
    """(condition, reason) pairs saying a field is missing or of the wrong JSON type."""
    kind = F.schema_of_variant(_variant_field(name))
    if name == "user_id":
        wrong = (kind != "BIGINT", "user_id not an integer")
    elif name == "experiments":
        wrong = (~kind.startswith("OBJECT"), "experiments not an object")
    else:
        wrong = (kind != "STRING", f"{name} not a string")
    return [(_variant_field(name).isNull(), f"missing field {name}"), wrong]


def _value_checks(name: str, field) -> list[tuple[Column, str]]:
    """(condition, reason) pairs on a field's typed value (`field(name)`)."""
    checks = []
    if name in ("event_id", "session_id"):
        checks.append((field(name) == "", f"empty {name}"))
    if name == "ts":
        checks.append((field("ts").try_cast("timestamp").isNull(), "bad ts"))
    if name == "event_type":
        checks.append((~field("event_type").isin(*EVENT_TYPES), "unknown event_type"))
    # A NUL can only come from a `\u0000` escape (JSON text holds no raw control character), so
    # only lines with an escape (`escape`, found by the decoder) are searched for one.
    if name in STRING_FIELDS:
        checks.append((F.col("escape") & field(name).contains("\u0000"), f"NUL in {name}"))
    if name == "experiments":
        # The regex runs only where its literal part occurs (byte search is far cheaper).
        nul = field(name).contains("\\u0000") & field(name).rlike(NUL_ESCAPE)
        checks.append((F.col("escape") & nul, "NUL in experiments"))
    return checks


def _first(checks: list[tuple[Column, str]]) -> Column:
    reason = F.when(checks[0][0], checks[0][1])
    for condition, text in checks[1:]:
        reason = reason.when(condition, text)
    return reason


def _reason() -> Column:
    """The first failed check of a line, in the order a reader would check it; null if valid.

    Lines on the fast path only need the value checks on the parsed fields; the others (about
    one in a hundred) are checked field by field on their VARIANT parse `v`.
    """
    value = F.col("value")
    # Only lines with an escape can hold a lone surrogate: skip the regex for the rest.
    surrogate = (F.col("escape") & value.rlike(LONE_SURROGATE), "invalid surrogate escape")
    front = [
        (~F.col("utf8"), "not utf-8"),
        (F.octet_length(value) > MAX_LINE_BYTES, "line too long"),
        (F.trim(value) == "", "empty line"),
        surrogate,
    ]
    slow = [(F.col("v").isNull(), "invalid json"), (~value.rlike(r"^\s*\{"), "not a json object")]
    fast = [surrogate]
    variant_text = lambda name: (  # noqa: E731
        F.to_json(_variant_field(name)) if name == "experiments" else F.try_variant_get("v", f"$.{name}", "string")
    )
    for name in FIELDS:
        slow += _type_checks(name) + _value_checks(name, variant_text)
        fast += _value_checks(name, _parsed_text)
    # Folder D feeds partitions D-1 (late arrivals) and D; any other date would be read by
    # no partition at all, so it is quarantined rather than lost.
    in_day = F.col("in_day")

    def window(ts: Column) -> Column:  # the day is a column: see _line_checks
        event_date = ts.try_cast("timestamp").cast("date")
        return (event_date == F.date_sub("day", 1)) | (event_date == F.col("day"))

    slow.append((in_day & ~window(variant_text("ts")), "ts outside window"))
    fast.append((in_day & ~window(F.col("ts")), "ts outside window"))
    # A fast-path line is valid UTF-8, short enough and starts with `{`: of the front checks
    # only the surrogate one can fail, so those lines skip the others.
    return _first([(F.col("fast"), _first(fast)), *front, (F.lit(True), _first(slow))])


# The checks are the same expressions for every run (the day is a column of the lines), and
# building them takes a few thousand calls into the JVM (~1 s): a driver builds them once per JVM.
_built: tuple[object, tuple[Column, Column]] | None = None


def _line_checks() -> tuple[Column, Column]:
    """`(fast, reason)`: whether the schema parse alone settles a line, and its reason."""
    global _built
    gateway = SparkContext._gateway
    if _built is None or _built[0] is not gateway:
        _built = (gateway, (_fast_path(), _reason()))
    return _built[1]


def check_lines(lines: DataFrame, day: date, day_count: int) -> DataFrame:
    """Check `lines` (`LINES` of files.py): typed event columns plus
    `in_day`, `reason` and `raw_line` (set only where `reason` is).

    Keeps every line and file record of folder D (`in_day`), and the valid lines of folder
    D+1 dated D or D+1 (the ones that can decide which copy of an `event_id` landed first).
    Of folder D+1's lines dated D+1 only the keys are kept (`event_id`, `event_date`, where
    they landed): the event fields are null, as no output of day D holds them.
    """
    # The parse, the one whole-line scan left to the JVM, happens once per line, in this projection.
    value = F.col("value").cast("string")
    decoded = ("file_reason", *SCANS)  # the decoder's findings (files.py)
    text = lines.select("file_idx", "line_number", value.alias("value"), *decoded, F.lit(day).alias("day"))
    parseable = F.col("utf8") & (F.octet_length("value") <= MAX_LINE_BYTES) & F.col("file_reason").isNull()
    parsed = text.select(
        "*",
        parseable.alias("parseable"),
        (F.col("file_idx") < day_count).alias("in_day"),
        F.when(parseable, F.from_json("value", SCHEMA, {"columnNameOfCorruptRecord": UNCONVERTED})).alias("j"),
    )
    typed = parsed.select(
        "*",
        *(F.col(f"j.{name}").alias(name) for name in ("event_id", "user_id", "session_id", "event_type", "page", "channel")),
        # Cast once: the checks, the window and the output all use the timestamp.
        F.col("j.ts").try_cast("timestamp").alias("ts"),
        F.col("j.user_agent").alias("user_agent"),
    )
    # Each stage is its own projection so Spark computes `fast` and `v` once per line.
    fast, reason = _line_checks()
    staged = typed.withColumn("fast", F.col("parseable") & fast)
    staged = staged.withColumn("v", F.when(F.col("parseable") & ~F.col("fast"), F.try_parse_json("value")))
    reason = F.coalesce(F.col("file_reason"), reason)
    checked = staged.withColumn("reason", reason).withColumns(
        {
            "raw_line": F.when(
                F.col("reason").isNotNull(), F.left(F.make_valid_utf8("value"), F.lit(RAW_LINE_CHARS))
            ),
        }
    ).withColumn("event_date", F.to_date("ts"))
    dates = F.col("event_date").isin(day, day + timedelta(days=1))
    keep = F.col("in_day") | (F.col("reason").isNull() & dates)
    # The cache then holds only the keys of the lines that just rank copies.
    written = F.col("in_day") | (F.col("event_date") == F.lit(day))
    # `experiments` is printed only here, for those lines (printing a VARIANT is its costliest field).
    checked = checked.withColumns({name: F.when(written, _parsed_text(name)) for name in FIELDS[1:]})
    return checked.where(keep).drop("value", "v", "j", "fast", *decoded, "parseable", "day")
