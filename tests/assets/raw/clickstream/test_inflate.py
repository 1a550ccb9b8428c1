"""Landing files inflated by zlib-ng decode to what the standard library's `gzip.GzipFile` gives,
byte for byte and error for error, whole or broken anywhere."""

from __future__ import annotations

import gzip
import io
import random
import struct
import zlib
from collections.abc import Iterator

import pytest

from data_platform.assets.raw.clickstream.inflate import CORRUPT, members

LINES = b"".join(b'{"event_id": "e%d", "page": "/p/%d"}\n' % (i, i % 97) for i in range(60_000))
WHOLE = gzip.compress(LINES, mtime=0)
SMALL = gzip.compress(b"one\ntwo\n", mtime=0)
# A member with every optional header field (FHCRC, FEXTRA, FNAME, FCOMMENT).
FIELDS = SMALL[:3] + bytes([2 | 4 | 8 | 16]) + SMALL[4:10] + struct.pack("<H", 3) + b"xyz" + b"name\0note\0" + b"\0\0" + SMALL[10:]


def outcome(pieces: Iterator[bytes], corrupt: tuple[type[Exception], ...]) -> tuple[str, bytes]:
    """The bytes a reader hands on before it stops, and how it stops."""
    decoded = []
    try:
        for piece in pieces:  # kept one by one: the pieces before an error count
            decoded.append(piece)
        return "end", b"".join(decoded)
    except EOFError:
        return "cut", b"".join(decoded)
    except corrupt:
        return "corrupt", b"".join(decoded)


def read1_pieces(content: bytes) -> Iterator[bytes]:
    with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
        while piece := stream.read1(1 << 20):
            yield piece


def standard(content: bytes) -> tuple[str, bytes]:
    return outcome(read1_pieces(content), (OSError, zlib.error))  # BadGzipFile is an OSError


def ours(content: bytes) -> tuple[str, bytes]:
    return outcome(members(content), CORRUPT)


def flipped(content: bytes, at: int, bit: int) -> bytes:
    return content[:at] + bytes([content[at] ^ (1 << bit)]) + content[at + 1 :]


SHAPES = {
    "whole": WHOLE,
    "members one after another": WHOLE + SMALL + FIELDS,
    "zero padding between and after members": SMALL + bytes(7) + SMALL + bytes(3),
    "header fields": FIELDS,
    "empty member": gzip.compress(b""),
    "garbage after a member": SMALL + b"garbage",
    "one stray byte after a member": SMALL + b"\x1f",
    "wrong CRC": WHOLE[:-8] + bytes(4) + WHOLE[-4:],
    "wrong size": WHOLE[:-4] + bytes(4),
    "not deflate": SMALL[:2] + b"\x07" + SMALL[3:],
    "cut in the header's name": FIELDS[:15],
    "cut in the trailer": WHOLE[:-3],
    "cut in the second member": WHOLE + SMALL[:-10],
}


@pytest.mark.parametrize("name", SHAPES)
def test_each_shape_of_file_decodes_as_the_standard_library_decodes_it(name: str) -> None:
    assert ours(SHAPES[name]) == standard(SHAPES[name])


def test_a_cut_anywhere_keeps_every_byte_decoded_before_it() -> None:
    cuts = random.Random(7).sample(range(len(WHOLE)), 40)
    for at in [2, 9, 10, 11, *cuts]:
        kind, decoded = ours(WHOLE[:at])
        assert (kind, decoded) == standard(WHOLE[:at]), at
        assert kind == "cut" and LINES.startswith(decoded)
    assert len(ours(WHOLE[: len(WHOLE) // 2])[1]) > len(LINES) // 3  # the readable half, not just whole reads


def test_a_flipped_bit_anywhere_is_found_where_the_standard_library_finds_it() -> None:
    rng = random.Random(11)
    for at, bit in [(rng.randrange(len(WHOLE)), rng.randrange(8)) for _ in range(60)]:
        broken = flipped(WHOLE, at, bit)
        assert ours(broken) == standard(broken), (at, bit)
