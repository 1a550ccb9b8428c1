"""The decoder's per-line byte scans (`braced`, `utf8`, `escape`, `bare_values`), batch by batch."""

from __future__ import annotations

import gzip

import pyarrow as pa

from data_platform.assets.raw.clickstream.files import _scans, decode_file

LINES = [
    b'{"a": {"b": 1}}',  # braced, no escape
    b'{"a": "{"}',  # a brace inside a string counts too: unbalanced
    b"",  # empty: not braced, no escape
    b'{"a": "\\u00e9"}',  # an escape
    b'{"a": "x\\',  # ends with a backslash: the next line's `u` is not its escape
    b"u}",
    b'{"a": "\\\\u"}',  # an escaped backslash before `u` still reads as `\u` (checked again later)
    b"\xff{}",  # not UTF-8
]


def scans(lines: pa.Array) -> list[list[bool | int | None]]:
    return [column.to_pylist() for column in _scans(lines)]


def test_each_line_is_scanned_on_its_own_bytes() -> None:
    braced, utf8, escape, bare = scans(pa.array(LINES, pa.binary()))
    assert braced == [True, False, False, True, False, False, True, False]
    assert utf8 == [True, True, True, True, True, True, True, False]
    assert escape == [False, False, False, True, False, False, True, False]
    assert bare == [2, 1, 0, 1, 1, 0, 1, 0]  # `": ` counts: a blank is not a quote


def test_braced_ignores_spaces_around_the_object_only() -> None:
    lines = [b'  {"a":"b"} ', b'\t{"a":"b"}', b'{"a":"b"} x', b"{}{}", b" ", b"}{"]
    assert scans(pa.array(lines, pa.binary()))[0] == [True, False, False, True, False, False]


def test_bare_values_count_values_that_do_not_start_with_a_quote() -> None:
    lines = [
        b'{"id":"a","user_id":7,"experiments":{"x":"y"}}',  # the two the fast path expects
        b'{"id":5,"user_id":7,"experiments":{}}',  # a number where a string belongs
        b'{"id":"a\\":1","user_id":7,"experiments":{}}',  # `":` inside a string only adds
        b'{"id" :5,"user_id":7,"experiments":{}}',  # a blank before a colon: unknown
        b'{"id":"10:00","user_id":7,"experiments":{}}',  # a colon after no quote is no key's
    ]
    assert scans(pa.array(lines, pa.binary()))[3] == [2, 3, 3, None, 2]


def test_a_slice_of_a_batch_is_scanned_from_its_own_offset() -> None:
    whole = pa.array([b"\\u{{", *LINES], pa.binary())
    assert scans(whole.slice(1)) == scans(pa.array(LINES, pa.binary()))
    assert scans(pa.array([b"", b""], pa.binary())) == [[False, False], [True, True], [False, False], [0, 0]]


def test_decoded_lines_carry_their_scans() -> None:
    (batch,) = decode_file(3, gzip.compress(b"\n".join(LINES[:4]) + b"\n"))
    assert batch.column("line_number").to_pylist() == [1, 2, 3, 4]
    assert batch.column("braced").to_pylist() == [True, False, False, True]
    assert batch.column("escape").to_pylist() == [False, False, False, True]
