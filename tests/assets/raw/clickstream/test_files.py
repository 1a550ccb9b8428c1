"""The decoder's per-line byte scans (`balanced`, `utf8`, `escape`), batch by batch."""

from __future__ import annotations

import gzip

import pyarrow as pa

from data_platform.assets.raw.clickstream.files import _scans, decode_file

LINES = [
    b'{"a": {"b": 1}}',  # balanced, no escape
    b'{"a": "{"}',  # a brace inside a string counts too: unbalanced
    b"",  # empty: balanced, no escape
    b'{"a": "\\u00e9"}',  # an escape
    b'{"a": "x\\',  # ends with a backslash: the next line's `u` is not its escape
    b"u}",
    b'{"a": "\\\\u"}',  # an escaped backslash before `u` still reads as `\u` (checked again later)
    b"\xff{}",  # not UTF-8
]


def scans(lines: pa.Array) -> list[list[bool]]:
    return [column.to_pylist() for column in _scans(lines)]


def test_each_line_is_scanned_on_its_own_bytes() -> None:
    balanced, utf8, escape = scans(pa.array(LINES, pa.binary()))
    assert balanced == [True, False, True, True, False, False, True, True]
    assert utf8 == [True, True, True, True, True, True, True, False]
    assert escape == [False, False, False, True, False, False, True, False]


def test_a_slice_of_a_batch_is_scanned_from_its_own_offset() -> None:
    whole = pa.array([b"\\u{{", *LINES], pa.binary())
    assert scans(whole.slice(1)) == scans(pa.array(LINES, pa.binary()))
    assert scans(pa.array([b"", b""], pa.binary())) == [[True, True], [True, True], [False, False]]


def test_decoded_lines_carry_their_scans() -> None:
    (batch,) = decode_file(3, gzip.compress(b"\n".join(LINES[:4]) + b"\n"))
    assert batch.column("line_number").to_pylist() == [1, 2, 3, 4]
    assert batch.column("balanced").to_pylist() == [True, False, True, True]
    assert batch.column("escape").to_pylist() == [False, False, False, True]
