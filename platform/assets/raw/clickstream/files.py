"""Landing files → numbered lines, decoded by Spark's executors where the files are.

Spark's gzip reader fails the whole job on a truncated file, and with `ignoreCorruptFiles`
it drops the rest of the file silently, losing even the lines it could have read. So each
executor reads its share of the files as bytes (`binaryFile`, any Hadoop filesystem: `file:`,
`s3a:`, …) and decodes them here: every line with its 1-based number, the readable part of
a broken file line by line, and one record for the broken file itself (line number 0).

The module and `inflate.py` are shipped to executors by value (they need only the standard
library, NumPy, pyarrow and zlib-ng there), so a cluster does not need the platform installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_platform.assets.raw.clickstream.inflate import CORRUPT, GZIP_MAGIC, members

# The shipper's landing files: gzipped JSON lines, one event per line.
LANDING_SUFFIX = ".jsonl.gz"
BATCH_LINES = 32_768
# Quarantine records about a whole file, not one of its lines, carry this line number.
WHOLE_FILE = 0

LINES = pa.schema(
    [
        ("file_idx", pa.int32()),
        ("line_number", pa.int64()),
        ("value", pa.binary()),
        ("file_reason", pa.string()),  # set only on a WHOLE_FILE record
        # Byte scans of every line, done here a batch at a time (null on a WHOLE_FILE record):
        # spaces aside, `{` first, `}` last and as many of each; valid UTF-8; a `\u` escape
        # somewhere; how many `":` are not followed by `"` (see _bare_values).
        ("braced", pa.bool_()),
        ("utf8", pa.bool_()),
        ("escape", pa.bool_()),
        ("bare_values", pa.int32()),
    ]
)
SCANS = LINES.names[4:]


def file_key(path: str) -> str:
    """`date=YYYY-MM-DD/name`: the same for a lake URI and Hadoop's form of it (`file:/…`)."""
    return "/".join(path.rstrip("/").rsplit("/", 2)[-2:])


def _strip_eol(line: bytes) -> bytes:
    return line[:-2] if line.endswith(b"\r\n") else line[:-1]


class _Batcher:
    """Collects the lines of one file into Arrow batches of LINES, numbered from 1."""

    def __init__(self, file_idx: int) -> None:
        self.file_idx, self.first, self.count, self.chunks = file_idx, 1, 0, []

    def extend(self, lines: pa.Array | list[bytes]) -> None:
        self.chunks.append(pa.array(lines, pa.binary()) if isinstance(lines, list) else lines)
        self.count += len(lines)

    def record(self, reason: str, detail: str) -> pa.RecordBatch:
        detail = pa.array([detail.encode()], pa.binary())
        return self._batch(pa.array([WHOLE_FILE], pa.int64()), detail, [reason], whole_file=True)

    def flush(self) -> Iterator[pa.RecordBatch]:
        if self.count:
            numbers = pa.array(range(self.first, self.first + self.count), pa.int64())
            lines = pa.concat_arrays(self.chunks)
            yield self._batch(numbers, lines, pa.nulls(self.count, pa.string()))
            self.first, self.count, self.chunks = self.first + self.count, 0, []

    def _batch(self, numbers: pa.Array, lines: pa.Array, reasons, whole_file: bool = False) -> pa.RecordBatch:
        idx = pa.repeat(pa.scalar(self.file_idx, pa.int32()), len(numbers))
        if whole_file:
            scans = [pa.nulls(len(numbers), LINES.field(name).type) for name in SCANS]
        else:
            scans = _scans(lines)
        columns = [idx, numbers, lines, pa.array(reasons, pa.string()), *scans]
        return pa.RecordBatch.from_arrays(columns, schema=LINES)


def _scans(lines: pa.Array) -> list[pa.Array]:
    """SCANS of each line: one vectorized pass over the batch's bytes per question, where a
    per-row expression in the JVM walks each line again for each one."""
    offsets = np.frombuffer(lines.buffers()[1], np.int32)[lines.offset : lines.offset + len(lines) + 1]
    data = np.frombuffer(lines.buffers()[2] or b"", np.uint8)[offsets[0] : offsets[-1]]
    bounds = offsets - offsets[0]  # line i is data[bounds[i]:bounds[i + 1]]
    opens, closes = (np.flatnonzero(data == ord(brace)) for brace in "{}")
    braced = _braced(data, bounds, _per_line_count(bounds, opens) == _per_line_count(bounds, closes))
    # `\u`: a backslash whose next byte, in the same line, is `u`.
    backslash = np.flatnonzero(data[:-1] == ord("\\"))
    pairs = backslash[data[backslash + 1] == ord("u")]
    escape = np.zeros(len(lines), np.bool_)
    line = _line_of(bounds, pairs)
    escape[line[pairs + 1 < bounds[line + 1]]] = True
    try:
        lines.cast(pa.string())  # validates the whole batch at once
        utf8 = pa.repeat(pa.scalar(True), len(lines))
    except pa.ArrowInvalid:  # a batch with a bad line: line by line
        utf8 = pa.array([_is_utf8(line) for line in lines.to_pylist()], pa.bool_())
    return [pa.array(braced), utf8, pa.array(escape), _bare_values(data, bounds)]


def _bare_values(data: np.ndarray, bounds: np.ndarray) -> pa.Array:
    """Per line, how many `":` are not followed by `"`: the keys whose value is not a JSON
    string, plus any `":` inside a string (which only adds). Null where a blank precedes a
    `:`, as a key then need not end right before its colon. A colon at a line's edge sees a
    neighbouring line's byte, which can only add to the count or make it null."""
    colons = np.flatnonzero(data[1:] == ord(":")) + 1
    before, after = data[colons - 1], data[np.minimum(colons + 1, len(data) - 1)]
    bare = colons[(before == ord('"')) & (after != ord('"'))]
    blank = colons[(before == ord(" ")) | (before == ord("\t"))]
    unknown = _per_line_count(bounds, blank) > 0
    return pa.array(_per_line_count(bounds, bare).astype(np.int32), mask=unknown)


def _braced(data: np.ndarray, bounds: np.ndarray, balanced: np.ndarray) -> np.ndarray:
    """Spaces aside, the line starts with `{` and ends with `}` (and is `balanced`)."""
    starts, ends = bounds[:-1], bounds[1:]
    braced = balanced & (ends > starts)
    lines = np.flatnonzero(braced)
    head, tail = data[starts[lines]], data[ends[lines] - 1]
    braced[lines] = (head == ord("{")) & (tail == ord("}"))
    for i in lines[(head == ord(" ")) | (tail == ord(" "))]:  # rare: stripped one by one
        line = data[starts[i] : ends[i]].tobytes().strip(b" ")
        braced[i] = line.startswith(b"{") and line.endswith(b"}")
    return braced


def _line_of(bounds: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The line number (0-based) of each byte position."""
    return np.searchsorted(bounds, positions, side="right") - 1


def _per_line_count(bounds: np.ndarray, positions: np.ndarray) -> np.ndarray:
    return np.bincount(_line_of(bounds, positions), minlength=len(bounds) - 1)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_file(file_idx: int, content: bytes) -> Iterator[pa.RecordBatch]:
    """The lines of one `.jsonl.gz` file (split like Hadoop: `\\n`, `\\r\\n`, `\\r`), and a
    record if the file is empty, not gzip, cut or corrupt."""
    out = _Batcher(file_idx)
    if not content:
        yield out.record("empty file", "0 bytes")
        return
    if content[:2] != GZIP_MAGIC:
        yield out.record("not gzip", f"starts with {content[:2]!r}")
        return
    carry, decoded, failure = b"", 0, None
    try:
        for chunk in members(content):
            decoded += len(chunk)
            text = carry + chunk
            if b"\r" in text:
                lines = text.splitlines(keepends=True)
                # The last piece may continue in the next chunk (a "\\r" may meet its "\\n").
                carry = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
                out.extend([_strip_eol(line) for line in lines])
            else:  # the usual case: Arrow splits the chunk, no Python object per line
                pieces = pc.split_pattern(pa.array([text], pa.binary()), pattern=b"\n").values
                carry = pieces[-1].as_py()
                out.extend(pieces.slice(0, len(pieces) - 1))
            if out.count >= BATCH_LINES:
                yield from out.flush()
    except EOFError as error:
        failure = ("truncated gzip", f"{error}; {decoded} bytes decoded before the cut")
    except CORRUPT as error:
        failure = ("corrupt gzip", f"{error}; {decoded} bytes decoded before the error")
    if carry:
        out.extend([_strip_eol(line) if line.endswith((b"\n", b"\r")) else line
                    for line in carry.splitlines(keepends=True)])  # fmt: skip
    yield from out.flush()
    if failure is not None:
        yield out.record(*failure)


def decoder(file_numbers: dict[str, int]):
    """A `mapInArrow` function: `binaryFile` rows (path, content) → LINES batches."""

    def decode(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            paths, contents = batch.column("path"), batch.column("content")
            for i in range(batch.num_rows):
                number = file_numbers[file_key(paths[i].as_py())]
                yield from decode_file(number, contents[i].as_py())

    return decode
